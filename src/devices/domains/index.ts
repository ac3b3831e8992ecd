import { z } from 'zod';
import { own } from '../../core/own.js';
import { alarmControlPanel } from './alarm_control_panel.js';
import { binarySensor } from './binary_sensor.js';
import { button } from './button.js';
import { camera } from './camera.js';
import { climate } from './climate.js';
import { cover } from './cover.js';
import { fan } from './fan.js';
import { light } from './light.js';
import { lock } from './lock.js';
import { numberDomain } from './number.js';
import { other } from './other.js';
import { scene } from './scene.js';
import { select } from './select.js';
import { sensor } from './sensor.js';
import { siren } from './siren.js';
import { switchDomain } from './switch.js';
import type { AbstractAction, ControlKind, DomainDescription, OperationDescription, Risk } from './types.js';
import { valve } from './valve.js';

export type { AbstractAction, ControlKind, DomainDescription, OperationDescription, Risk } from './types.js';

/**
 * Every device domain the hub models, one file each; adding a domain is a file and a line here.
 * Other Home Assistant domains are carried as `other`.
 */
export const DOMAINS = [
  light,
  switchDomain,
  lock,
  cover,
  alarmControlPanel,
  climate,
  fan,
  sensor,
  binarySensor,
  button,
  camera,
  siren,
  valve,
  numberDomain,
  select,
  scene,
  other,
] as const satisfies readonly DomainDescription[];

export type Domain = (typeof DOMAINS)[number]['name'];
export const DOMAIN_NAMES = DOMAINS.map((d) => d.name) as [Domain, ...Domain[]];
export const domainSchema = z.enum(DOMAIN_NAMES);

const byName = new Map<string, DomainDescription>(DOMAINS.map((d) => [d.name, d]));

/** The description of a domain; undefined for a name the hub does not model. */
export function describeDomain(domain: string): DomainDescription | undefined {
  return byName.get(domain);
}

export function operationsFor(domain: string): string[] {
  return Object.keys(byName.get(domain)?.operations ?? {});
}

export function operationOf(domain: string, operation: string): OperationDescription | undefined {
  return own(byName.get(domain)?.operations, operation);
}

/** The state that confirms `operation`, from the params and the state before; undefined when no state proves it. */
export function expectedStateOf(domain: string, operation: string, params: Record<string, unknown>, stateBefore: string): string | undefined {
  const expect = operationOf(domain, operation)?.expect;
  return typeof expect === 'function' ? expect(params, stateBefore) : expect;
}

/**
 * The gate's built-in risk table, from the descriptions: domain (or `domain:device_class`) →
 * operation → risk, `*` for any other operation of the domain.
 */
export function defaultRiskTable(): Record<string, Record<string, Risk>> {
  const table: Record<string, Record<string, Risk>> = {};
  for (const d of DOMAINS as readonly DomainDescription[]) {
    const ops: Record<string, Risk> = {};
    for (const [op, spec] of Object.entries(d.operations)) if (spec.risk) ops[op] = spec.risk;
    if (d.risk) ops['*'] = d.risk;
    if (Object.keys(ops).length > 0) table[d.name] = ops;
    for (const [dc, risks] of Object.entries(d.riskByDeviceClass ?? {})) table[`${d.name}:${dc}`] = { ...risks };
  }
  return table;
}

/** The rule parser's table: abstract verb → domain → operation. */
export function actionOperations(): Record<AbstractAction, Partial<Record<Domain, string>>> {
  const verbs: AbstractAction[] = [
    'on',
    'off',
    'toggle',
    'open',
    'close',
    'lock',
    'unlock',
    'arm_away',
    'arm_home',
    'arm_night',
    'disarm',
    'set',
    'dim',
    'stop',
  ];
  const out = Object.fromEntries(verbs.map((v) => [v, {}])) as Record<AbstractAction, Partial<Record<Domain, string>>>;
  for (const d of DOMAINS as readonly DomainDescription[]) {
    for (const [verb, op] of Object.entries(d.words?.actions ?? {}) as [AbstractAction, string][]) out[verb][d.name as Domain] = op;
  }
  return out;
}

/** The rule parser's nouns by domain. */
export function domainNouns(): Partial<Record<Domain, string[]>> {
  const out: Partial<Record<Domain, string[]>> = {};
  for (const d of DOMAINS as readonly DomainDescription[]) if (d.words?.nouns?.length) out[d.name as Domain] = [...d.words.nouns];
  return out;
}

/** The yes/no states the rule parser's questions know; a question about any other passes every entity. */
const QUESTION_STATES = new Set(['locked', 'unlocked', 'open', 'closed', 'on', 'off', 'armed', 'disarmed', 'triggered', 'motion']);

/** Whether a question about `state` ("is it locked?") can apply to an entity of this domain and device class. */
export function canHaveStateOf(domain: string, deviceClass: string, state: string): boolean {
  if (!QUESTION_STATES.has(state)) return true;
  const words = byName.get(domain)?.words;
  return Boolean(words?.states?.includes(state) || own(words?.statesByDeviceClass, deviceClass)?.includes(state));
}

/** MQTT discovery components the hub models, in the descriptions' order. */
export const MQTT_COMPONENTS = DOMAINS.filter((d): d is Extract<(typeof DOMAINS)[number], { mqtt: object }> => 'mqtt' in d).map((d) => d.name);

/** The payload an MQTT operation publishes: the config key and its default. */
export function mqttPayloadOf(domain: string, operation: string): readonly [string, string] | undefined {
  return operationOf(domain, operation)?.mqttPayload;
}

/** The config keys (first found) of the topic an MQTT entity's state comes back on. */
export function mqttStateTopicKeys(domain: string): readonly string[] {
  return byName.get(domain)?.mqtt?.stateTopics ?? ['state_topic'];
}

/** The Home Assistant service for an operation: `<domain>.<operation>` unless the description says otherwise. */
export function haServiceOf(domain: string, operation: string): { domain: string; service: string } {
  return { domain: byName.get(domain)?.ha?.serviceDomain ?? domain, service: operation };
}

/** What the web UI needs of each domain: the control it draws, the group on Home, the operations and their params (JSON Schema). */
export interface DomainForUi {
  control: ControlKind | null;
  group: string;
  operations: Record<string, { params: unknown }>;
}

export function domainsForUi(): Record<string, DomainForUi> {
  const out: Record<string, DomainForUi> = {};
  for (const d of DOMAINS as readonly DomainDescription[]) {
    out[d.name] = {
      control: d.ui.control ?? null,
      group: d.ui.group,
      operations: Object.fromEntries(Object.entries(d.operations).map(([op, spec]) => [op, { params: z.toJSONSchema(spec.params, { io: 'input' }) }])),
    };
  }
  return out;
}
