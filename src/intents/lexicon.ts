import type { Domain, Entity } from '../devices/model.js';
import { actionOperations, canHaveStateOf, domainNouns, type AbstractAction } from '../devices/domains/index.js';

/**
 * The words of the rule parser, as data. Verbs map to an abstract action first; the
 * operation is chosen per entity by its domain ("open" is open_cover for a garage, unlock
 * for a lock), so one sentence may fan out to several domains ("close everything"). What
 * each verb means for a domain, and the nouns that name a domain's things, are in the domain
 * descriptions (`src/devices/domains/`).
 */
export type { AbstractAction } from '../devices/domains/index.js';

/** The operation for an abstract action on a domain; missing = not applicable. */
export const ACTION_OPERATIONS: Record<AbstractAction, Partial<Record<Domain, string>>> = actionOperations();

/** Single-word verbs at the head of a command. `turn`/`switch` take an on/off particle. */
export const VERBS: Record<string, AbstractAction | 'particle'> = {
  turn: 'particle',
  switch: 'particle',
  flip: 'particle',
  put: 'particle',
  power: 'particle',
  shut: 'close',
  unlock: 'unlock',
  unbolt: 'unlock',
  unlatch: 'unlock',
  lock: 'lock',
  secure: 'lock',
  bolt: 'lock',
  open: 'open',
  raise: 'open',
  lift: 'open',
  close: 'close',
  lower: 'close',
  arm: 'arm_away',
  disarm: 'disarm',
  toggle: 'toggle',
  stop: 'stop',
  halt: 'stop',
  kill: 'off',
  deactivate: 'off',
  disable: 'off',
  activate: 'on',
  enable: 'on',
  start: 'on',
  set: 'set',
  make: 'set',
  change: 'set',
  adjust: 'set',
  heat: 'set',
  warm: 'set',
  cool: 'set',
  dim: 'dim',
};

/** Words that say which things a sentence means, by domain (singular forms). */
export const DOMAIN_WORDS: Partial<Record<Domain, string[]>> = domainNouns();

/** Extra words by device class (binary sensors and covers carry theirs in attributes). */
export const DEVICE_CLASS_WORDS: Record<string, string[]> = {
  garage: ['garage', 'door'],
  garage_door: ['garage', 'door'],
  door: ['door'],
  window: ['window'],
  opening: ['door', 'window'],
  motion: ['motion', 'movement', 'sensor'],
  occupancy: ['motion', 'occupancy', 'sensor'],
  presence: ['presence', 'sensor'],
  temperature: ['temperature', 'sensor'],
  humidity: ['humidity', 'sensor'],
  smoke: ['smoke', 'alarm', 'sensor'],
};

/** Words that carry no meaning for matching. */
export const STOPWORDS = new Set([
  'the',
  'a',
  'an',
  'my',
  'our',
  'your',
  'his',
  'her',
  'their',
  'in',
  'of',
  'to',
  'at',
  'for',
  'from',
  'with',
  'by',
  'and',
  'is',
  'are',
  'it',
  'its',
  'that',
  'this',
  'those',
  'these',
  'them',
  'me',
  'us',
  'i',
  'you',
  'we',
  'just',
  'now',
  'right',
  'currently',
  'still',
  'thing',
  'things',
  'there',
  'here',
  'house',
  'please',
  'again',
  'up',
  'down',
  'be',
  'been',
  'mode',
  'set',
  'state',
  'status',
  'whole',
  'entire',
  'inside',
  'outside_of',
  'so',
]);

/** Words that make a sentence mean "all of them". */
export const ALL_WORDS = new Set(['all', 'every', 'everything', 'each', 'both', 'everywhere', 'house']);

/** State words in questions → the state asked about. */
export const STATE_WORDS: Record<string, string> = {
  open: 'open',
  opened: 'open',
  ajar: 'open',
  closed: 'closed',
  shut: 'closed',
  locked: 'locked',
  secured: 'locked',
  secure: 'locked',
  bolted: 'locked',
  unlocked: 'unlocked',
  unsecured: 'unlocked',
  on: 'on',
  off: 'off',
  // "did I lock the front door?", "did we close the garage?"
  lock: 'locked',
  close: 'closed',
  unlock: 'unlocked',
  armed: 'armed',
  disarmed: 'disarmed',
  triggered: 'triggered',
  motion: 'motion',
  movement: 'motion',
  moving: 'motion',
  anyone: 'motion',
  anybody: 'motion',
  someone: 'motion',
  somebody: 'motion',
};

/** Which entities a yes/no state word can apply to (the domain descriptions' `words.states`). */
export function canHaveState(entity: Entity, expect: string): boolean {
  return canHaveStateOf(entity.domain, String(entity.attributes.device_class ?? ''), expect);
}

/** Whether an entity has a temperature to report. */
export function hasTemperature(entity: Entity): boolean {
  if (entity.domain === 'climate') return true;
  if (entity.domain === 'sensor' && (entity.attributes.device_class === 'temperature' || /°|deg/i.test(String(entity.attributes.unit_of_measurement ?? ''))))
    return true;
  return typeof entity.attributes.current_temperature === 'number';
}

/** Singular form for matching: lights → light, batteries → battery; short words and -ss kept. */
export function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}
