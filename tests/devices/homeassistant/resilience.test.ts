import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUTH_INVALID_DETAIL, checkHomeAssistant, toWebSocketUrl } from '../../../src/devices/homeassistant/adapter.js';
import { backoffDelay } from '../../../src/devices/homeassistant/session.js';
import { FakeHomeAssistant } from '../../fakes/home-assistant.js';
import { HOME, TOKEN, adapterTestKit, sleep, untrustedCertificate, waitFor } from './helpers.js';

const { cleanups, fakeHa, rig } = adapterTestKit();

/** A port on loopback that nothing listens on (a fake that came and went). */
async function closedPort(): Promise<number> {
  const fake = await FakeHomeAssistant.start({ token: TOKEN });
  const port = fake.port;
  await fake.stop();
  return port;
}

describe('Home Assistant adapter: reconnect and re-sync', () => {
  it('follows HA across a restart: unavailable while away, then updated, vanished ones removed', async () => {
    const first = await FakeHomeAssistant.start({ token: TOKEN, states: HOME });
    const { adapter, registry } = rig(first.url);
    adapter.start();
    await waitFor(() => adapter.health().status === 'ok', 'connected');
    expect(registry.get('light.kitchen')?.state).toBe('on');

    await first.stop();
    await waitFor(() => registry.list({ source: 'homeassistant' }).every((e) => !e.available), 'entities marked unavailable');
    expect(adapter.health()).toMatchObject({ status: 'degraded' });
    expect(adapter.health().detail).toContain('reconnecting');

    // HA comes back on the same port with a changed home.
    const changed = HOME.filter((s) => s.entity_id !== 'lock.front_door').map((s) => (s.entity_id === 'light.kitchen' ? { ...s, state: 'off' } : s));
    const second = await fakeHa({
      port: first.port,
      states: [...changed, { entity_id: 'cover.garage_door', state: 'open', attributes: { friendly_name: 'Garage Door' } }],
    });
    await waitFor(() => adapter.health().status === 'ok', 'reconnected');
    expect(registry.get('light.kitchen')).toMatchObject({ state: 'off', available: true });
    expect(registry.get('lock.front_door')).toBeUndefined();
    expect(registry.get('cover.garage_door')).toMatchObject({ state: 'open', name: 'Garage Door' });
    expect(registry.get('sensor.living_room_temperature')?.available).toBe(true);
    expect(registry.get('switch.porch')?.available).toBe(false); // unavailable in HA itself
    expect(adapter.health().detail).toMatch(/; last error at .*: the connection closed/);

    // The subscription was made again on the new connection: changes keep flowing.
    second.setState('light.kitchen', 'on');
    await waitFor(() => registry.get('light.kitchen')?.state === 'on', 'change after restart');
    expect(second.subscriberCount).toBe(1);
  });

  it('while HA is still starting, entities it has not loaded yet are kept (unavailable) until homeassistant_started', async () => {
    const first = await FakeHomeAssistant.start({ token: TOKEN, states: HOME });
    const { adapter, registry } = rig(first.url);
    adapter.start();
    await waitFor(() => adapter.health().status === 'ok', 'connected');
    await first.stop();

    // Back up, but only some integrations loaded so far.
    const early = HOME.filter((s) => s.entity_id === 'light.kitchen' || s.entity_id === 'sensor.living_room_temperature');
    const second = await fakeHa({ port: first.port, states: early, runState: 'STARTING' });
    await waitFor(() => adapter.health().status === 'ok', 'reconnected');
    expect(adapter.health().detail).toContain('still starting');
    expect(registry.get('light.kitchen')?.available).toBe(true);
    expect(registry.get('lock.front_door')).toMatchObject({ available: false, state: 'locked' });

    // The lock's integration loads; the porch switch is gone for good.
    second.setState('lock.front_door', 'unlocked', { friendly_name: 'Front Door' });
    await waitFor(() => registry.get('lock.front_door')?.available, 'lock back');
    for (const s of HOME)
      if (!['light.kitchen', 'sensor.living_room_temperature', 'lock.front_door', 'switch.porch'].includes(s.entity_id))
        second.setState(s.entity_id, s.state, s.attributes);
    second.finishStartup();
    await waitFor(() => !registry.get('switch.porch'), 'vanished entity removed after homeassistant_started');
    expect(registry.get('lock.front_door')).toMatchObject({ state: 'unlocked', available: true });
    expect(registry.list({ source: 'homeassistant' })).toHaveLength(HOME.length - 1);
    expect(adapter.health().detail).not.toContain('still starting');
  });

  it('reconnects after a network drop and after a connection that hangs (ping watchdog)', async () => {
    const fake = await fakeHa();
    const { adapter, registry } = rig(fake.url, TOKEN, { pingIntervalMs: 150, pingTimeoutMs: 300 });
    adapter.start();
    await waitFor(() => adapter.health().status === 'ok', 'connected');
    const seen = fake.connections;

    fake.dropConnections();
    await waitFor(() => fake.connections > seen && adapter.health().status === 'ok', 'reconnected after drop');
    fake.setState('sensor.living_room_temperature', '19.0');
    await waitFor(() => registry.get('sensor.living_room_temperature')?.state === '19.0', 'change after drop');

    // The link stays open but nothing answers: only the ping notices.
    const before = fake.connections;
    fake.freezeConnections();
    await waitFor(() => fake.connections > before && adapter.health().status === 'ok', 'reconnected after hang');
    expect(adapter.health().detail).toContain('no answer to a ping');
    fake.setState('sensor.living_room_temperature', '18.5');
    await waitFor(() => registry.get('sensor.living_room_temperature')?.state === '18.5', 'change after hang');
  });

  it('a sync that never gets an answer ends in a reconnect, not in "connecting" forever', async () => {
    const fake = await fakeHa();
    fake.unanswered.add('get_states');
    const { adapter, registry } = rig(fake.url, TOKEN, { syncTimeoutMs: 300 });
    adapter.start();
    await waitFor(() => fake.connections >= 2, 'a new connection after the stuck sync');
    expect(adapter.health().status).toBe('degraded');
    expect(adapter.health().detail).toContain('loading states failed');
    fake.unanswered.clear();
    await waitFor(() => adapter.health().status === 'ok', 'connected once HA answers');
    expect(registry.list({ source: 'homeassistant' })).toHaveLength(HOME.length);
  });

  it('starts at once when HA is unreachable and connects when it appears', async () => {
    const port = await closedPort();
    const { adapter, registry } = rig(`http://127.0.0.1:${port}/`);
    adapter.start(); // returns without waiting for HA
    expect(adapter.health().status).toBe('degraded');
    expect(adapter.health().detail).toContain(`connecting to ws://127.0.0.1:${port}/api/websocket`);
    await waitFor(() => adapter.health().detail.includes('ECONNREFUSED'), 'a failed attempt reported');

    await fakeHa({ port });
    await waitFor(() => adapter.health().status === 'ok', 'connected once HA is up');
    expect(registry.list({ source: 'homeassistant' })).toHaveLength(HOME.length);
  });

  it('a connection that HA drops right after each sync backs off instead of reloading every state in a loop', async () => {
    const fake = await fakeHa();
    const flap = (): void => {
      fake.afterGetStates = () => {
        flap(); // one-shot in the fake: re-arm for the next connection
        setTimeout(() => fake.dropConnections(), 10);
      };
    };
    flap();
    const { adapter } = rig(fake.url, TOKEN, { backoffBaseMs: 100, backoffCapMs: 1000 });
    adapter.start();
    await waitFor(() => fake.connections >= 1, 'the first connection');
    await sleep(2500);
    // Back-off 50-100, 100-200, 200-400, 400-800, 500-1000 ms: a handful, not one per round trip.
    expect(fake.connections).toBeLessThan(10);
  });

  it('auth_invalid is a clear health error and not a retry storm', async () => {
    const fake = await fakeHa();
    const { adapter, registry, logs } = rig(fake.url, 'wrong-token-value'); // default: one retry per 10 minutes
    adapter.start();
    await waitFor(() => adapter.health().detail.includes(AUTH_INVALID_DETAIL), 'auth error in health');
    expect(adapter.health().status).toBe('degraded');
    expect(adapter.health().detail).toContain('once every 10 min');
    await sleep(3000);
    expect(fake.authAttempts).toBe(1);
    expect(fake.connections).toBe(1);
    expect(registry.size).toBe(0);
    expect(logs.text).not.toContain('wrong-token-value');
    expect(logs.text).toContain('auth_invalid');
  });

  it('after auth_invalid it tries again slowly, and recovers once HA accepts the token', async () => {
    const fake = await fakeHa({ token: 'old-token' });
    const { adapter } = rig(fake.url, TOKEN, { authRetryMs: 700 });
    adapter.start();
    await waitFor(() => adapter.health().detail.includes(AUTH_INVALID_DETAIL), 'auth error');
    fake.token = TOKEN;
    await waitFor(() => adapter.health().status === 'ok', 'connected after the slow retry');
    expect(fake.invalidAuthAttempts).toBeGreaterThanOrEqual(1);
    expect(fake.invalidAuthAttempts).toBeLessThanOrEqual(15);
  });

  it('stop() closes the connection, marks entities unavailable and leaves no retries behind', async () => {
    const fake = await fakeHa();
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => adapter.health().status === 'ok', 'connected');
    adapter.stop();
    await waitFor(() => fake.authedClients === 0, 'socket closed');
    expect(registry.list({ source: 'homeassistant' }).every((e) => !e.available)).toBe(true);
    expect(adapter.health().status).toBe('stopped');

    // Stopped while waiting out a back-off: no further attempts.
    const port = await closedPort();
    const down = rig(`http://127.0.0.1:${port}`);
    down.adapter.start();
    await waitFor(() => down.adapter.health().detail.includes('next try'), 'backing off');
    down.adapter.stop();
    const late = await fakeHa({ port });
    await sleep(1500);
    expect(late.connections).toBe(0);
  });
});

describe('checkHomeAssistant (hearth doctor)', () => {
  it('connects, authenticates and closes; names what is wrong otherwise', async () => {
    const fake = await fakeHa();
    const ok = await checkHomeAssistant(fake.url, TOKEN, 5000);
    expect(ok).toEqual({ ok: true, detail: `connected and authenticated to Home Assistant 2025.1.2 at ws://127.0.0.1:${fake.port}/api/websocket` });
    await waitFor(() => fake.authedClients === 0, 'check closed its socket');

    const bad = await checkHomeAssistant(fake.url, 'nope', 5000);
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain(AUTH_INVALID_DETAIL);
    expect(bad.detail).not.toContain('nope');

    const port = await closedPort();
    const down = await checkHomeAssistant(`http://127.0.0.1:${port}`, TOKEN, 5000);
    expect(down.ok).toBe(false);
    expect(down.detail).toContain('ECONNREFUSED');

    expect((await checkHomeAssistant('ftp://ha.local', TOKEN, 1000)).ok).toBe(false);
  });
});

describe('TLS', () => {
  it('verifies the certificate of an https Home Assistant: an untrusted one is refused', async () => {
    const { cert, key, dir } = untrustedCertificate();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const fake = await fakeHa({ tls: { cert, key } });
    expect(fake.url).toMatch(/^https:/);
    const out = await checkHomeAssistant(fake.url, TOKEN, 5000);
    expect(out.ok).toBe(false);
    expect(out.detail).toMatch(/wss:\/\/127\.0\.0\.1:\d+\/api\/websocket: .*(certificate|self.signed)/i);
    expect(fake.authAttempts).toBe(0); // the token never went to a server we could not verify

    const { adapter } = rig(fake.url);
    adapter.start();
    await waitFor(() => /certificate/i.test(adapter.health().detail), 'certificate error in health');
    expect(fake.authAttempts).toBe(0);
  });
});

describe('URLs and back-off', () => {
  it('turns the configured URL into the WebSocket endpoint', () => {
    expect(toWebSocketUrl('http://homeassistant.local:8123')).toBe('ws://homeassistant.local:8123/api/websocket');
    expect(toWebSocketUrl('https://ha.example.org/')).toBe('wss://ha.example.org/api/websocket');
    expect(toWebSocketUrl('https://example.org/ha/')).toBe('wss://example.org/ha/api/websocket');
    expect(toWebSocketUrl('ws://10.0.0.5:8123/api/websocket')).toBe('ws://10.0.0.5:8123/api/websocket');
    expect(() => toWebSocketUrl('mqtt://ha')).toThrow(/must start with/);
  });

  it('backs off exponentially, capped, with jitter that never reaches zero', () => {
    expect(backoffDelay(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(30, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelay(30, 1000, 60_000, () => 0)).toBe(30_000);
  });
});
