import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/core/rate-limit.js';

describe('rate limiter', () => {
  it('allows a burst, refuses beyond it, and refills over time', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 3, perSecond: 1, now: () => now });
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([true, true, true, false]);
    expect(rl.retryAfter('a')).toBe(1);
    expect(rl.take('b')).toBe(true); // keys are independent
    now += 1000;
    expect(rl.take('a')).toBe(true);
    expect(rl.take('a')).toBe(false);
  });

  it('forgets the least recently seen key when it holds too many', () => {
    const rl = new RateLimiter({ burst: 1, perSecond: 0.001, maxKeys: 2, now: () => 0 });
    rl.take('a');
    rl.take('b');
    rl.take('c'); // evicts a
    expect(rl.take('a')).toBe(true); // a starts fresh
    expect(rl.take('c')).toBe(false);
  });

  it('a key spent again moves to the newest place, even after a reset or an eviction of the newest', () => {
    const rl = new RateLimiter({ burst: 1, perSecond: 0.001, maxKeys: 2, now: () => 0 });
    rl.take('a');
    rl.take('b');
    rl.take('a'); // a is the newest now: b is the least recently seen
    rl.take('c'); // evicts b
    expect(rl.take('b')).toBe(true); // b starts fresh (and evicts a, the oldest now)
    expect(rl.take('c')).toBe(false);
    rl.reset('c');
    expect(rl.take('c')).toBe(true); // fresh after the reset, though it was the newest
    expect(rl.take('c')).toBe(false);
  });

  it('keeps a limited key when asked about a flood of other keys (login: made-up usernames)', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 2, perSecond: 1 / 60, maxKeys: 3, now: () => now });
    rl.take('u:alice');
    rl.take('u:alice');
    expect(rl.retryAfter('u:alice')).toBeGreaterThan(0);
    // The login route asks retryAfter for every attempt, refused or not, before spending.
    for (let i = 0; i < 100; i++) expect(rl.retryAfter(`u:junk${i}`)).toBe(0);
    expect(rl.retryAfter('u:alice')).toBeGreaterThan(0);
    // Keys that spent and refilled are dropped before a still-limited one.
    rl.take('u:bob');
    now += 5 * 60_000;
    rl.take('u:alice');
    rl.take('u:alice');
    for (let i = 0; i < 10; i++) rl.take(`u:other${i}`);
    expect(rl.retryAfter('u:alice')).toBeGreaterThan(0);
  });
});
