import type { Entity } from '../devices/model.js';
import { normalize } from '../intents/normalize.js';
import { ACTION_OPERATIONS, VERBS, type AbstractAction } from '../intents/lexicon.js';

/**
 * "Don't unlock the front door" must never become an unlock, whatever the model answers. The
 * check is in code: the text is cut into clauses, a clause with a negation is negated, and a
 * proposed command is refused when a negated clause names its verb or its entity. This is
 * deliberately blunt ("don't forget to lock up" is refused too and becomes a question).
 */

const NEGATION = /\b(?:not|never|no|dont|nothing|without|neither|nor|avoid|stop\s+(?:from|me)|refrain)\b/;
const CLAUSE_SPLIT = /\s*(?:[,;:]|\bbut\b|\band\b|\bthen\b|\balso\b|\bexcept\b|\bunless\b)\s*/;

/** The words that ask for `operation` on `entity`'s domain ("unlock", "open" for unlock). */
function verbsFor(entity: Entity, operation: string): string[] {
  const actions = (Object.keys(ACTION_OPERATIONS) as AbstractAction[]).filter((a) => ACTION_OPERATIONS[a][entity.domain] === operation);
  const verbs = Object.entries(VERBS)
    .filter(([, a]) => a !== 'particle' && actions.includes(a))
    .map(([w]) => w);
  if (actions.includes('on')) verbs.push('on');
  if (actions.includes('off')) verbs.push('off');
  return [...verbs, operation.replace(/_/g, ' ')];
}

/** Words that name the entity: its name, aliases and object id, each word of three letters or more. */
function namesOf(entity: Entity): string[] {
  const words = [entity.name, ...entity.aliases, entity.id.split('.')[1]!.replace(/_/g, ' ')].flatMap((n) => normalize(n).tokens);
  return [...new Set(words.filter((w) => w.length >= 3))];
}

export function negatedClauses(text: string): string[] {
  const raw = text
    .toLowerCase()
    .replace(/[\u2018\u2019`]/g, "'")
    .replace(/n't\b/g, ' not')
    .replace(/\bdont\b/g, 'do not');
  return raw
    .split(CLAUSE_SPLIT)
    .map((c) => normalize(c).text)
    .filter((c) => c && NEGATION.test(c));
}

/** Whether `text` says not to do `operation` on `entity` (or might). */
export function isNegated(text: string, entity: Entity, operation: string): boolean {
  const clauses = negatedClauses(text);
  if (clauses.length === 0) return false;
  const has = (clause: string, w: string) => new RegExp(`\\b${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(clause);
  const verbs = verbsFor(entity, operation);
  const names = namesOf(entity);
  return clauses.some((c) => verbs.some((v) => has(c, v)) || names.some((n) => has(c, n)));
}
