import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';

/** The definition: JSON.stringify of a copy with every object's keys sorted. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : sortKeys(x)));
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[key];
        if (x !== undefined) out[key] = sortKeys(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

/** A small deterministic generator, so that a failure can be replayed. */
function values(seed: number) {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const leaves: unknown[] = [
    0,
    -0,
    1.5,
    -7,
    1e21,
    1e-7,
    NaN,
    Infinity,
    '',
    'plain',
    'quote " and \\ back',
    'line\nbreak\u0000\u2028',
    'é 🏠',
    true,
    false,
    null,
    undefined,
    () => 1,
    Symbol('s'),
    new Date(Date.UTC(2026, 11, 4)),
    new Date(NaN),
  ];
  const keys = ['b', 'a', '', 'Z', '10', '2', '0', '01', '4294967295', '4294967294', '1e3', '-1', 'é', 'key with "quotes"', '__proto__x', 'ä', ' ', '!'];
  const gen = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.4) return leaves[Math.floor(rnd() * leaves.length)];
    if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 5); i > 0; i--) o[keys[Math.floor(rnd() * keys.length)]!] = gen(depth + 1);
    return o;
  };
  return gen;
}

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, undefined, { y: 1, x: 2 }], c: undefined } })).toBe('{"a":{"d":[3,null,{"x":2,"y":1}]},"b":1}');
  });

  it('is character for character what JSON.stringify of a key-sorted copy gives, on 5,000 random values', () => {
    const gen = values(42);
    for (let i = 0; i < 5000; i++) {
      const v = gen(0);
      expect(canonicalJson(v)).toBe(reference(v));
    }
  });

  it('keeps the edge cases of JSON: top-level undefined, dates, sparse arrays, boxed values', () => {
    for (const v of [undefined, new Date(0), [1, , 3], new String('ab'), new Number(5), { toJSON: () => 'x', a: 1 }, Object.create({ inherited: 1 })]) {
      expect(canonicalJson(v)).toBe(reference(v));
    }
    expect(() => canonicalJson({ n: 10n })).toThrow(TypeError);
  });
});
