import type { Entity } from '../devices/model.js';
import { supportsOperation } from '../devices/operations.js';
import type { ClarifyIntent, Intent } from './schema.js';
import { ACTION_OPERATIONS, ALL_WORDS, canHaveState, hasTemperature, STATE_WORDS, VERBS, type AbstractAction } from './lexicon.js';
import { normalize } from './normalize.js';
import { indexEntities, matchEntities, type EntityIndex, type IndexedEntity } from './resolve.js';
import { own } from '../core/own.js';

/**
 * The fast path from English to an intent: pure, synchronous, no I/O. It never guesses:
 * a sentence that could mean two things becomes a clarifying question with candidates, and
 * one it cannot read is `unknown` (which a language model may take next).
 */
export function parseIntent(text: string, entities: readonly Entity[]): Intent {
  const n = normalize(text);
  if (n.tokens.length === 0) return { kind: 'unknown', reason: 'empty' };
  const index = indexEntities(entities);
  const question = questionBody(n.tokens, n.asked);
  if (question) return parseQuestion(question, index);
  return parseCommand(n.tokens, index);
}

// ---- commands ------------------------------------------------------------------------------

interface Verb {
  action: AbstractAction;
  rest: string[];
}

function findVerb(tokens: string[]): Verb | undefined {
  const [head, ...tail] = tokens;
  if (head === undefined) return undefined;
  const v = own(VERBS, head);
  if (v === 'particle' || head === 'shut') {
    // "turn the porch light off", "switch on the fan", "shut off the heater"
    const i = tail.findIndex((t) => t === 'on' || t === 'off');
    if (i >= 0) {
      const rest = [...tail.slice(0, i), ...tail.slice(i + 1)];
      return { action: tail[i] === 'on' ? 'on' : 'off', rest };
    }
    if (head === 'shut') return { action: 'close', rest: tail };
    // "turn the heating to 20", "put the lights to 50%"
    if (tail.includes('to') && tail.some((t) => /^\d/.test(t))) return { action: 'set', rest: tail };
    return undefined;
  }
  if (v) {
    if (v === 'arm_away') {
      // A mode word counts only where it reads as a mode ("in home mode", "for night", last):
      // "arm the home alarm" names the alarm.
      const mode = tail.find(
        (t, i) =>
          ['home', 'stay', 'night', 'away', 'sleep'].includes(t) &&
          (tail[i + 1] === 'mode' || i === tail.length - 1 || ['for', 'to', 'in', 'at'].includes(tail[i - 1] ?? '')),
      );
      const action: AbstractAction = mode === 'home' || mode === 'stay' ? 'arm_home' : mode === 'night' || mode === 'sleep' ? 'arm_night' : 'arm_away';
      // "arm the alarm in home mode": the mode word is not a name... unless it is one ("home alarm").
      return { action, rest: tail.filter((t) => t !== mode) };
    }
    return { action: v, rest: tail };
  }
  // "kitchen lights off", "lights off in the bedroom"
  const i = tokens.findIndex((t, k) => k > 0 && (t === 'on' || t === 'off'));
  if (i > 0) return { action: tokens[i] === 'on' ? 'on' : 'off', rest: [...tokens.slice(0, i), ...tokens.slice(i + 1)] };
  return undefined;
}

function operationFor(action: AbstractAction, entity: Entity): string | undefined {
  const op = ACTION_OPERATIONS[action][entity.domain];
  return op && supportsOperation(entity, op) ? op : undefined;
}

/** The number in a sentence and what it measures. */
function numberIn(tokens: string[]): { value: number; unit: 'percent' | 'degrees' | undefined } | undefined {
  const i = tokens.findIndex((t) => /^\d+(\.\d+)?$/.test(t));
  if (i < 0) return undefined;
  const next = tokens[i + 1];
  const unit = next === 'percent' ? 'percent' : next === 'degrees' || next === 'degree' || next === 'c' || next === 'celsius' ? 'degrees' : undefined;
  return { value: Number(tokens[i]), unit };
}

function parseCommand(tokens: string[], index: EntityIndex): Intent {
  const verb = findVerb(tokens);
  if (!verb) return { kind: 'unknown', reason: 'no command I know' };
  const num = numberIn(verb.rest);
  // "change the temperature ... to 23", "heat the living room to 21": degrees without saying so
  if (num && !num.unit && (verb.rest.includes('temperature') || ['heat', 'warm', 'cool'].includes(tokens[0]!))) num.unit = 'degrees';
  const action = verb.action;
  if (action === 'set' && !num) return { kind: 'unknown', reason: 'set to what?' };
  // "lock up" means every lock, as "lock up the house" does.
  const all = verb.rest.some((t) => ALL_WORDS.has(t)) || (action === 'lock' && verb.rest.length === 1 && verb.rest[0] === 'up');
  const words = verb.rest.filter(
    (t) => !ALL_WORDS.has(t) && !['percent', 'degrees', 'degree', 'celsius', 'c', 'brightness', 'temperature', 'level', 'position', 'speed'].includes(t),
  );
  const eligible = (e: Entity): boolean => {
    if (!e.available && e.state === 'unavailable') return false;
    if (action === 'set' && num?.unit === 'degrees') return operationFor('set', e) === 'set_temperature';
    if (action === 'set' && num?.unit === 'percent') return e.domain !== 'climate' && operationFor('set', e) !== undefined;
    return operationFor(action, e) !== undefined;
  };
  const m = matchEntities(index, words, eligible);
  // "turn it off": no name and no "all" — there is nothing to ask about yet.
  if (m.words.length === 0 && !all) return { kind: 'unknown', reason: 'which device do you mean?' };
  if (m.full.length === 0) {
    if (m.partial.length > 1) return clarify('Which one do you mean?', m.partial, action);
    const what = m.words.join(' ').slice(0, 60);
    return { kind: 'unknown', reason: what ? `I don't know a device called "${what}" that can do that` : 'nothing here can do that' };
  }
  if (m.full.length > 1 && !all && !m.plural) {
    return clarify(`Which ${nounFor(m.full)} do you mean?`, m.full, action);
  }
  const chosen = m.full.map((e) => e.entity).sort((a, b) => a.id.localeCompare(b.id));
  const ops = new Set(chosen.map((e) => operationFor(action, e)!));
  if (ops.size > 1) {
    // "close everything" over covers and locks: one intent per operation is clearer; ask.
    const byOp = [...ops].join(', ');
    return {
      kind: 'clarify',
      question: `That covers different kinds of things (${byOp}). Which do you mean?`,
      candidates: chosen.slice(0, 20).map((e) => ({ entity_id: e.id, name: e.name })),
    };
  }
  const operation = [...ops][0]!;
  const params: Record<string, number> = {};
  if (num) {
    if (operation === 'set_temperature') params.temperature = num.value;
    else if (operation === 'turn_on') params.brightness_pct = clampPct(num.value);
    else if (operation === 'set_percentage') params.percentage = clampPct(num.value);
    else if (operation === 'set_cover_position') params.position = clampPct(num.value);
    else if (operation === 'set_value') params.value = num.value;
  } else if (action === 'dim') {
    params.brightness_pct = 30;
  }
  return { kind: 'command', entity_ids: chosen.slice(0, 50).map((e) => e.id), operation, params };
}

const clampPct = (v: number): number => Math.max(0, Math.min(100, Math.round(v)));

function clarify(question: string, list: IndexedEntity[], operation?: string): ClarifyIntent {
  return {
    kind: 'clarify',
    question,
    candidates: list.slice(0, 20).map((e) => ({ entity_id: e.entity.id, name: e.entity.name })),
    ...(operation ? { operation } : {}),
  };
}

function nounFor(list: IndexedEntity[]): string {
  const domains = new Set(list.map((e) => e.entity.domain));
  if (domains.size === 1) {
    const d = [...domains][0]!;
    return (
      (
        {
          light: 'light',
          lock: 'lock',
          cover: 'cover',
          climate: 'thermostat',
          switch: 'switch',
          binary_sensor: 'sensor',
          alarm_control_panel: 'alarm',
        } as Record<string, string>
      )[d] ?? 'device'
    );
  }
  return 'one';
}

// ---- questions -----------------------------------------------------------------------------

const QUESTION_HEADS = new Set([
  'is',
  'are',
  'was',
  'were',
  'what',
  'how',
  'which',
  'did',
  'does',
  'do',
  'has',
  'have',
  'any',
  'anything',
  'anyone',
  'anybody',
  'who',
  'where',
]);
const QUESTION_LEADS: string[][] = [
  ['tell', 'me', 'if'],
  ['tell', 'me', 'whether'],
  ['tell', 'me'],
  ['check', 'if'],
  ['check', 'whether'],
  ['check'],
  ['do', 'you', 'know', 'if'],
  ['do', 'you', 'know', 'whether'],
  ['let', 'me', 'know', 'if'],
  ['show', 'me'],
  ['i', 'wonder', 'if'],
];

function questionBody(tokens: string[], asked: boolean): string[] | undefined {
  for (const lead of QUESTION_LEADS) {
    if (lead.every((w, i) => tokens[i] === w)) return tokens.slice(lead.length);
  }
  if (QUESTION_HEADS.has(tokens[0]!)) return tokens;
  // "garage open?" — a question mark without a verb we know
  if (asked && !findVerb(tokens)) return tokens;
  return undefined;
}

const QUESTION_NOISE = new Set([
  'is',
  'are',
  'was',
  'were',
  'what',
  'how',
  'which',
  'did',
  'does',
  'do',
  'has',
  'have',
  'who',
  'where',
  'not',
  'if',
  'whether',
  'left',
  'been',
  'being',
  'anyone',
  'anybody',
  'someone',
  'somebody',
  'tell',
  'know',
  'there',
  'any',
  'anything',
  'reading',
  'level',
  'currently',
  'right',
  'now',
  'at',
  'moment',
  'doing',
  'going',
  'on',
  'off',
  'it',
]);

function parseQuestion(tokens: string[], index: EntityIndex): Intent {
  const temperature = tokens.some((t) => ['temperature', 'temp', 'warm', 'hot', 'cold', 'cool', 'degrees', 'chilly'].includes(t));
  let expect: string | undefined;
  if (!temperature) {
    for (const t of tokens) {
      const s = own(STATE_WORDS, t);
      // "is anything on", "is the porch light on": the last state word wins ("turned on")
      if (s) expect = s;
    }
  }
  const which = tokens[0] === 'which' || (tokens[0] === 'what' && tokens.includes('on') && !tokens.includes('state'));
  const any = tokens.some((t) => ['any', 'anything', 'anyone', 'anybody', 'someone', 'somebody'].includes(t));
  const all = tokens.some((t) => ALL_WORDS.has(t));
  const stateWords = new Set(Object.keys(STATE_WORDS));
  const words = tokens.filter(
    (t) =>
      !QUESTION_NOISE.has(t) &&
      !ALL_WORDS.has(t) &&
      !stateWords.has(t) &&
      !['temperature', 'temp', 'warm', 'hot', 'cold', 'cool', 'degrees', 'chilly', 'turned', 'switched', 'detected', 'see', 'seen', 'in', 'the'].includes(t),
  );
  const eligible = (e: Entity): boolean => (temperature ? hasTemperature(e) : expect ? canHaveState(e, expect) : true);
  const m = matchEntities(index, words, eligible);
  const about = temperature ? 'temperature' : 'state';
  if (m.full.length === 0) {
    if (m.partial.length > 1) return clarify('Which one do you mean?', m.partial);
    const what = m.words.join(' ').slice(0, 60);
    return { kind: 'unknown', reason: what ? `I don't know anything called "${what}"` : 'I am not sure what you are asking about' };
  }
  const onlyDomainWords = m.words.length > 0 && m.words.every((w) => index.domainWords.has(w));
  const quantifier = which ? 'which' : any ? 'any' : all || m.plural || m.words.length === 0 ? 'all' : 'each';
  if (m.full.length > 1 && quantifier === 'each') {
    if (m.words.length > 0) return clarify(`Which ${nounFor(m.full)} do you mean?`, m.full);
  }
  if (m.words.length === 0 && !expect && !temperature) return { kind: 'unknown', reason: 'I am not sure what you are asking about' };
  const entity_ids = m.full
    .slice(0, 50)
    .map((e) => e.entity.id)
    .sort();
  const domains = new Set(m.full.map((e) => e.entity.domain));
  const domain = (onlyDomainWords || m.words.length === 0) && domains.size === 1 ? [...domains][0] : undefined;
  return {
    kind: 'question',
    entity_ids,
    ...(domain ? { domain } : {}),
    about,
    ...(expect ? { expect } : {}),
    quantifier: m.full.length === 1 && quantifier !== 'which' ? 'each' : quantifier,
  };
}

/**
 * The answer to a clarifying question: the person picked some of the candidates. Gives the
 * command with each entity's own operation, or undefined when the action does not apply.
 */
export function resolveClarified(clarify: ClarifyIntent, chosen: readonly string[], entities: readonly Entity[]): Intent | undefined {
  const action = clarify.operation as AbstractAction | undefined;
  if (!action || !Object.hasOwn(ACTION_OPERATIONS, action) || action === 'set' || action === 'dim') return undefined;
  const picked = entities.filter((e) => chosen.includes(e.id)).sort((a, b) => a.id.localeCompare(b.id));
  const ops = new Set(picked.map((e) => operationFor(action, e)));
  if (picked.length === 0 || ops.size !== 1 || ops.has(undefined)) return undefined;
  return { kind: 'command', entity_ids: picked.map((e) => e.id), operation: [...ops][0]!, params: {} };
}

export type { EntityIndex };
