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
});
