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

describe('discovery: templates', () => {
  it('rounds with any precision a config gives instead of throwing a RangeError past the warning path', async () => {
    const { compileTemplate, payloadVars } = await import('../../src/devices/mqtt/discovery/template.js');
    expect(compileTemplate('{{ value | float | round(500) }}').evaluate(payloadVars('21.456'))).toBe(21.456);
    expect(compileTemplate('{{ value | float | round(-1) }}').evaluate(payloadVars('123.4'))).toBe(120);
    expect(compileTemplate('{{ value | float | round(1) }}').evaluate(payloadVars('21.46'))).toBe(21.5);
  });
});
