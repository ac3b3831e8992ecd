import { describe, expect, it } from 'vitest';
import { ServiceManager, overallStatus, type Service } from '../../src/core/lifecycle.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/logger.js';

function recorder() {
  const events: string[] = [];
  const make = (name: string, extra: Partial<Service> = {}): Service => ({
    name,
    start: () => {
      events.push(`start ${name}`);
    },
    stop: () => {
      events.push(`stop ${name}`);
    },
    ...extra,
  });
  return { events, make };
}

describe('service lifecycle', () => {
  it('starts in order and stops in reverse', async () => {
    const { events, make } = recorder();
    const m = new ServiceManager({ log: silentLogger() });
    m.add(make('store')).add(make('devices')).add(make('http'));
    await m.start();
    await m.stop();
    expect(events).toEqual(['start store', 'start devices', 'start http', 'stop http', 'stop devices', 'stop store']);
  });

  it('an optional service that fails degrades the hub and the rest still start', async () => {
    const { events, make } = recorder();
    const m = new ServiceManager({ log: silentLogger() });
    m.add(make('store'));
    m.add(make('homeassistant', { optional: true, start: () => Promise.reject(new Error('connection refused')) }));
    m.add(make('http'));
    await m.start();
    expect(events).toEqual(['start store', 'start http']);
    const health = m.health();
    expect(health.homeassistant).toEqual({ status: 'degraded', detail: 'connection refused' });
    expect(overallStatus(health)).toBe('degraded');
    await m.stop();
  });

  it('a required service that fails stops those already started and throws', async () => {
    const { events, make } = recorder();
    const m = new ServiceManager({ log: silentLogger() });
    m.add(make('store'));
    m.add(make('http', { start: () => Promise.reject(new Error('port in use')) }));
    await expect(m.start()).rejects.toThrow('port in use');
    // The failed service is stopped too, so that whatever it half-opened is released.
    expect(events).toEqual(['start store', 'stop http', 'stop store']);
  });

  it('a service that hangs on stop is abandoned after its timeout so the process can exit', async () => {
    const { events, make } = recorder();
    const m = new ServiceManager({ log: silentLogger(), stopTimeoutMs: 50 });
    m.add(make('store'));
    m.add(make('stuck', { stop: () => new Promise<void>(() => {}) }));
    await m.start();
    await m.stop();
    expect(events).toContain('stop store');
  });

  it('a service whose start hangs times out', async () => {
    const { make } = recorder();
    const m = new ServiceManager({ log: silentLogger(), startTimeoutMs: 50 });
    m.add(make('slow', { optional: true, start: () => new Promise<void>(() => {}) }));
    await m.start();
    expect(m.health().slow?.status).toBe('degraded');
    expect(m.health().slow?.detail).toMatch(/did not start within 50 ms/);
  });
});

describe('event bus', () => {
  it('isolates a throwing listener from the others', () => {
    const bus = new EventBus(silentLogger());
    const seen: number[] = [];
    bus.on('hub.started', () => {
      throw new Error('boom');
    });
    bus.on('hub.started', (e) => seen.push(e.at));
    bus.emit('hub.started', { at: 42 });
    expect(seen).toEqual([42]);
  });

  it('unsubscribes', () => {
    const bus = new EventBus();
    let n = 0;
    const off = bus.on('hub.started', () => n++);
    bus.emit('hub.started', { at: 1 });
    off();
    bus.emit('hub.started', { at: 2 });
    expect(n).toBe(1);
    expect(bus.listenerCount('hub.started')).toBe(0);
  });
});
