import { DOMAINS } from 'virtual:domains';
import type { Entity } from '../../api/types';
import { listWords } from '../../lib/format';
import { actionWords } from '../../lib/names';
import { shortName } from '../home/controls';

/**
 * A role rule's pattern (`<entity glob>[:<operation glob>]`, the policy contract's stored format)
 * as the pickers show it: a device choice (every device, every device of a kind, the hub, or one
 * device) and an action (any, or one operation). Patterns the pickers cannot show stay patterns.
 */
export type PickedRule = { device: string; operation: string } | { pattern: string };

/** "every lock": the plural of each kind, for the device picker and the sentences. */
const KIND_PLURALS: Record<string, string> = {
  lock: 'locks',
  light: 'lights',
  switch: 'switches',
  fan: 'fans',
  cover: 'doors, blinds and garage doors',
  alarm_control_panel: 'alarms',
  climate: 'thermostats',
  scene: 'scenes',
  button: 'buttons',
  siren: 'sirens',
  valve: 'valves',
  media_player: 'media players',
  camera: 'cameras',
  number: 'device settings (numbers)',
  select: 'device settings (choices)',
};
export const HUB = 'hub.*';
export const ANY = '*';

/** The kinds people can act on (those with operations), in the picker's order. */
export function kinds(): string[] {
  const withOps = Object.keys(DOMAINS).filter((d) => Object.keys(DOMAINS[d]!.operations).length > 0);
  return [...new Set([...withOps, 'media_player'])].filter((d) => d !== 'other').sort((a, b) => kindWords(a).localeCompare(kindWords(b)));
}
export const kindWords = (domain: string): string => KIND_PLURALS[domain] ?? `${domain.replace(/_/g, ' ')}s`;

/** The device part of a rule in words: "every lock", "the Front door", "every device". */
export function deviceWords(device: string, entities: Entity[]): string {
  if (device === ANY) return 'every device';
  if (device === HUB) return "the hub's own settings";
  if (device.endsWith('.*')) return `all ${kindWords(device.slice(0, -2))}`;
  const e = entities.find((x) => x.id === device);
  return e ? `the ${shortName(e)}${e.area ? ` (${e.area})` : ''}` : device;
}

/** The operations the chosen devices support (from the domains' descriptions); every one for "every device". */
export function operationsOf(device: string, entities: Entity[]): string[] {
  const domain = device === ANY ? null : device.endsWith('.*') ? device.slice(0, -2) : entities.find((e) => e.id === device)?.domain;
  if (domain === 'hub') return [];
  const all = domain ? Object.keys(DOMAINS[domain]?.operations ?? {}) : Object.values(DOMAINS).flatMap((d) => Object.keys(d.operations));
  return [...new Set(all)].sort();
}

/** A stored pattern → what the pickers show; a pattern they cannot show stays a pattern. */
export function pick(pattern: string, entities: Entity[]): PickedRule {
  const [device = '', op] = pattern.split(':');
  const operation = op === undefined || op === '*' ? ANY : op;
  const known =
    device === ANY ||
    device === HUB ||
    (device.endsWith('.*') && !device.slice(0, -2).includes('*') && (device.slice(0, -2) in DOMAINS || device.slice(0, -2) in KIND_PLURALS)) ||
    (!device.includes('*') && entities.some((e) => e.id === device));
  if (!known) return { pattern };
  if (operation !== ANY && !operationsOf(device, entities).includes(operation)) return { pattern };
  return { device, operation };
}

/** What the pickers chose → the stored pattern (`light.*:turn_on`, `lock.front_door`, `*`). */
export const toPattern = (r: PickedRule): string => ('pattern' in r ? r.pattern : r.operation === ANY ? r.device : `${r.device}:${r.operation}`);

/** "turn on all lights", "do anything with the Front door (Hall)", "anything". */
export function ruleWords(pattern: string, entities: Entity[]): string {
  const r = pick(pattern, entities);
  if ('pattern' in r) return `“${r.pattern}”`;
  if (r.device === ANY && r.operation === ANY) return 'anything';
  const what = deviceWords(r.device, entities);
  return r.operation === ANY ? `anything with ${what}` : actionWords(r.operation, what);
}

/** Rules that name the same devices read as one: "turn on or turn off all lights". */
export function rulesWords(patterns: string[], entities: Entity[]): string {
  const groups = new Map<string, string[]>();
  const loose: string[] = [];
  for (const p of patterns) {
    const r = pick(p, entities);
    if ('pattern' in r || r.operation === ANY) loose.push(ruleWords(p, entities));
    else groups.set(r.device, [...(groups.get(r.device) ?? []), r.operation]);
  }
  const grouped = [...groups].map(
    ([device, ops]) =>
      `${listWords(
        ops.map((o) => actionWords(o, '').trim()),
        'or',
      )} ${deviceWords(device, entities)}`,
  );
  return listWords([...loose, ...grouped], 'and');
}
