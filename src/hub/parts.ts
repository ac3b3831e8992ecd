import type { PartTables } from '../store/database.js';
import type { SettingsCheck } from '../config/checks.js';
import type { PartCommand, PartDefinition, StreamEvents } from '../part/define.js';
import { auditPart, configPart, connectionTestPart } from './base-parts.js';
import { membersPart } from '../members/part.js';
import { devicesPart } from '../devices/part.js';
import { gatePart } from '../gate/part.js';
import { linkPart } from '../link/part.js';
import { notifyPart } from '../notify/part.js';
import { dialoguePart } from '../dialogue/part.js';
import { usagePart } from '../usage/part.js';
import { inferencePart } from '../inference/part.js';
import { telegramPart } from '../channels/telegram/part.js';
import { twilioPart } from '../channels/twilio/part.js';
import { checkinsPart } from '../checkins/part.js';
import { workflowsPart } from '../workflows/part.js';
import { webPart } from '../channels/web/part.js';
import { healthPart } from '../health/part.js';
import { backupsPart } from '../backups/part.js';

/**
 * Every part of the hub. Adding a part is adding it here (and its folder). The order is the
 * order of their tables' migrations and, where `needs` allows, of making and starting them; a
 * part is always made after the parts it needs.
 */
export const parts: readonly PartDefinition[] = [
  configPart,
  auditPart,
  membersPart,
  devicesPart,
  gatePart,
  linkPart,
  notifyPart,
  usagePart,
  inferencePart,
  dialoguePart,
  telegramPart,
  twilioPart,
  checkinsPart,
  workflowsPart,
  webPart,
  healthPart,
  backupsPart,
  connectionTestPart,
];

/** The parts in the order to make and start them: each after what it needs, else as listed. */
export function inOrder(list: readonly PartDefinition[]): PartDefinition[] {
  const done = new Set<PartDefinition>();
  const out: PartDefinition[] = [];
  const visiting = new Set<PartDefinition>();
  const visit = (def: PartDefinition, from?: string): void => {
    if (done.has(def)) return;
    if (!list.includes(def)) throw new Error(`part ${from ?? '?'} needs ${def.name}, which is not in the list of parts`);
    if (visiting.has(def)) throw new Error(`parts need each other in a cycle: ${[...visiting].map((d) => d.name).join(' → ')} → ${def.name}`);
    visiting.add(def);
    for (const need of Object.values(def.needs ?? {})) visit(need, def.name);
    visiting.delete(def);
    done.add(def);
    out.push(def);
  };
  for (const def of list) visit(def);
  return out;
}

/** Two parts claiming one name, table set, event or check would silently shadow each other: refuse. */
function once<T>(what: string, items: [T, string][]): void {
  const seen = new Map<T, string>();
  for (const [item, part] of items) {
    const first = seen.get(item);
    if (first !== undefined) throw new Error(`${what} ${String(item)} is claimed by both the ${first} and the ${part} part`);
    seen.set(item, part);
  }
}
once(
  'the name',
  parts.map((p) => [p.name, p.name]),
);
once(
  'the tables of',
  parts.flatMap((p) => (p.tables ? [[p.tables.part, p.name] as [string, string]] : [])),
);
once(
  'the web event',
  parts.flatMap((p) => Object.keys(p.events ?? {}).map((e) => [e, p.name] as [string, string])),
);
once(
  'the check',
  parts.flatMap((p) => (p.checks ?? []).map((c) => [c.section, p.name] as [string, string])),
);
once(
  'the command',
  parts.flatMap((p) => (p.cli ?? []).map((c) => [c.name, p.name] as [string, string])),
);

/** Every part's tables, migrated when the store opens. */
export const allTables: PartTables[] = parts.flatMap((p) => (p.tables ? [p.tables] : []));
/** One registry of checks: `hearth doctor`, the first-run "test connection", support diagnostics. */
export const partChecks: SettingsCheck[] = parts.flatMap((p) => p.checks ?? []);
/** The web stream's events, from every part. */
export const streamEvents: StreamEvents = Object.assign({}, ...parts.map((p) => p.events ?? {})) as StreamEvents;
/** `hearth` commands that parts bring. */
export const partCommands: PartCommand[] = parts.flatMap((p) => p.cli ?? []);
