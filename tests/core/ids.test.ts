import { describe, expect, it } from 'vitest';
import { newId, randomToken } from '../../src/core/ids.js';

describe('ids and tokens', () => {
  it('tokens are base32 of the asked length and do not repeat, across refills of the random pool', () => {
    const seen = new Set<string>();
    // 3,000 tokens of 22 characters draw 66,000 bytes: the 4 KiB pool is refilled many times,
    // and a refill in the middle of a token must not cut it short or reuse bytes.
    for (let i = 0; i < 3000; i++) {
      const t = randomToken(22);
      expect(t).toMatch(/^[0-9a-hjkmnp-tv-z]{22}$/);
      seen.add(t);
    }
    expect(seen.size).toBe(3000);
    expect(randomToken(1000)).toHaveLength(1000); // larger than the pool: drawn on its own
  });

  it('every character of the alphabet turns up (the bytes are used, not zeros)', () => {
    const chars = new Set(Array.from({ length: 200 }, () => randomToken(20)).join(''));
    expect(chars.size).toBe(32);
  });

  it('ids sort by time of creation and keep their prefix', () => {
    const a = newId('act');
    const b = newId('act');
    expect(a).toMatch(/^act_[0-9a-v]{9}[0-9a-hjkmnp-tv-z]{10}$/);
    expect(a.slice(0, 13) <= b.slice(0, 13)).toBe(true);
    expect(a).not.toBe(b);
  });
});
