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

describe('discovery: Tasmota devices remembered', () => {
  it('stops taking new MACs at the bound, logged, and still updates the ones it knows', async () => {
    const { TasmotaDiscovery, MAX_TASMOTA_DEVICES } = await import('../../src/devices/mqtt/discovery/tasmota.js');
    const { silentLogger } = await import('../../src/core/logger.js');
    const warnings: string[] = [];
    const log = silentLogger();
    log.warn = ((_obj: unknown, msg: string) => void warnings.push(msg)) as typeof log.warn;
    const installed: string[] = [];
    // Records what discovery would install; the bound is TasmotaDiscovery's own.
    const host = { install: (_m: unknown, spec: { key: string }) => (installed.push(spec.key), true), removeKey: () => {}, keysUnder: () => [] };
    const tasmota = new TasmotaDiscovery(host as never, log);
    const sensors = (i: number) => ({
      topic: `tasmota/discovery/${i.toString(16).padStart(12, '0')}/sensors`,
      payload: Buffer.from(JSON.stringify({ sn: { Time: '2026-11-21T10:00:00' }, ver: 1 })),
      clientId: 'spammer',
      retain: true,
    });
    for (let i = 0; i < MAX_TASMOTA_DEVICES + 50; i++) tasmota.onMessage(sensors(i) as never);
    expect(warnings.filter((w) => w.includes('too many Tasmota devices'))).toHaveLength(50);
    // A known device is still heard.
    warnings.length = 0;
    tasmota.onMessage(sensors(7) as never);
    expect(warnings).toEqual([]);
  });
});
