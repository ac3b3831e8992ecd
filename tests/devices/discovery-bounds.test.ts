import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/devices/mqtt/discovery/components.js';

describe('discovery: bounded attributes from a device', () => {
  it('drops a deeply nested or large attribute value and keeps the rest', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const big = JSON.stringify(Array.from({ length: 5000 }, (_, i) => i));
    const payload = `{"linkquality": 120, "update": {"state": "idle"}, "deep": ${deep}, "big": ${big}}`;
    const update = interpret('sensor', { state_topic: 's' }, { topic: 'a', kind: 'attributes' }, payload);
    expect(update?.attributes).toEqual({ linkquality: 120, update: { state: 'idle' } });
    // What the registry, history and SSE do with it next must not throw.
    expect(() => JSON.stringify(update)).not.toThrow();
  });
});
