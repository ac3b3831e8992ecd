import type { Entity } from '../devices/model.js';
import { DEVICE_CLASS_WORDS, DOMAIN_WORDS, singular, STOPWORDS } from './lexicon.js';
import { own } from '../core/own.js';

/** One entity with the words people may use for it. */
export interface IndexedEntity {
  entity: Entity;
  /** Every word of its name, aliases, area, object id, domain and device class (singular). */
  words: Set<string>;
  /** Its name and aliases as normalized phrases, for exact matches. */
  phrases: string[];
}

export interface EntityIndex {
  entries: IndexedEntity[];
  /** Every word any entity answers to: decides whether a word is a name or noise. */
  vocabulary: Set<string>;
  /** Words that only name a domain ("lights", "locks"), for "which lights are on?". */
  domainWords: Set<string>;
}

const wordsOf = (text: string): string[] =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => w && !STOPWORDS.has(w))
    .map(singular);

const cache = new WeakMap<readonly Entity[], EntityIndex>();

/**
 * Builds the word index of a set of entities. Cached per array, so a caller that passes the
 * same snapshot again pays nothing; the registry's list() makes a new array on each call.
 */
export function indexEntities(entities: readonly Entity[]): EntityIndex {
  const hit = cache.get(entities);
  if (hit) return hit;
  const entries: IndexedEntity[] = [];
  const vocabulary = new Set<string>();
  const domainWords = new Set<string>();
  for (const list of Object.values(DOMAIN_WORDS)) for (const w of list ?? []) domainWords.add(w);
  for (const entity of entities) {
    const words = new Set<string>();
    const add = (list: string[]) => list.forEach((w) => words.add(w));
    add(wordsOf(entity.name));
    for (const alias of entity.aliases) add(wordsOf(alias));
    if (entity.area) add(wordsOf(entity.area));
    add(wordsOf(entity.id.split('.')[1] ?? ''));
    add(DOMAIN_WORDS[entity.domain] ?? []);
    const dc = entity.attributes.device_class;
    if (typeof dc === 'string') add(own(DEVICE_CLASS_WORDS, dc) ?? []);
    for (const w of words) vocabulary.add(w);
    const phrases = [entity.name, ...entity.aliases].map((p) => wordsOf(p).join(' ')).filter(Boolean);
    entries.push({ entity, words, phrases });
  }
  const index = { entries, vocabulary, domainWords };
  cache.set(entities, index);
  return index;
}

export interface Match {
  /** Entities that answer to every descriptive word. */
  full: IndexedEntity[];
  /** Entities that answer to some of them (for "did you mean"). */
  partial: IndexedEntity[];
  /** The descriptive words, singular, stopwords removed. */
  words: string[];
  /** A word was plural ("lights", "doors"): the person means all of them. */
  plural: boolean;
}

/**
 * Matches the descriptive words of a sentence against the index, among the entities that
 * `eligible` allows (those that support the operation, or can have the state asked about).
 */
export function matchEntities(index: EntityIndex, rawWords: string[], eligible: (e: Entity) => boolean): Match {
  const words: string[] = [];
  let plural = false;
  for (const raw of rawWords) {
    if (STOPWORDS.has(raw) || /^\d/.test(raw)) continue;
    const w = singular(raw);
    if (w !== raw && (index.vocabulary.has(w) || index.domainWords.has(w))) plural = true;
    if (!words.includes(w)) words.push(w);
  }
  const pool = index.entries.filter((e) => eligible(e.entity));
  if (words.length === 0) return { full: pool, partial: [], words, plural };
  const phrase = words.join(' ');
  const exact = pool.filter((e) => e.phrases.includes(phrase));
  if (exact.length > 0) return { full: exact, partial: [], words, plural };
  const full = pool.filter((e) => words.every((w) => e.words.has(w)));
  const partial = full.length ? [] : pool.filter((e) => words.some((w) => e.words.has(w) && !isGeneric(index, w)));
  return { full, partial, words, plural };
}

/** A domain word alone ("light") says too little to offer an entity as a "did you mean". */
function isGeneric(index: EntityIndex, word: string): boolean {
  return index.domainWords.has(word);
}
