import { describe, expect, it } from 'vitest';
import type { DeviceAdapter, Entity } from '../../../src/devices/model.js';
import { AUTH_INVALID_DETAIL } from '../../../src/devices/homeassistant/adapter.js';
import type { TestHub } from '../../helpers/hub.js';
import { api, setupOwner } from '../../members/helpers.js';
import { FakeHomeAssistant } from '../../fakes/home-assistant.js';
import { adapterTestKit, HOME, TOKEN, sleep } from './helpers.js';

const { cleanups, hubWith } = adapterTestKit();

async function haEntities(t: TestHub, cookie: string): Promise<Entity[]> {
  const res = await api<{ entities: Entity[] }>(t, 'GET', '/entities?source=homeassistant', { cookie });
  expect(res.status).toBe(200);
  return res.body.entities;
}

async function haHealth(t: TestHub): Promise<{ status: string; detail: string }> {
  const res = await fetch(`${t.url}/api/v1/health`);
  const body = (await res.json()) as { components: Record<string, { status: string; detail: string }> };
  return body.components.homeassistant!;
}

describe('Home Assistant in a running hub', () => {
  it('connects when the owner sets url and token at run time (first run), without a restart', async () => {
    const ha = await FakeHomeAssistant.start({ token: TOKEN, states: HOME });
    cleanups.push(() => ha.stop());
    const t = await hubWith({});
    const cookie = await setupOwner(t);
    expect(await haHealth(t)).toEqual({ status: 'disabled', detail: 'homeassistant.url and homeassistant.token are not set' });
    const set = await api<{ changed: string[]; restart_required: string[] }>(t, 'PATCH', '/settings', {
      cookie,
      body: { homeassistant: { url: ha.url, token: TOKEN } },
    });
    expect(set.status).toBe(200);
    expect(set.body.restart_required).toEqual([]);
    await waitForAsync(async () => (await haEntities(t, cookie)).length === HOME.length || undefined, 'HA entities after the settings change');
    expect((await haHealth(t)).status).toBe('ok');
  });

  it("shows HA's entities through the API and follows HA across a restart without a hub restart", async () => {
    const first = await FakeHomeAssistant.start({ token: TOKEN, states: HOME });
    cleanups.push(() => first.stop());
    const t = await hubWith({ url: first.url, token: TOKEN });
    const cookie = await setupOwner(t);

    const entities = await waitForAsync(async () => {
      const list = await haEntities(t, cookie);
      return list.length === HOME.length ? list : undefined;
    }, 'HA entities in the API');
    expect(entities.find((e) => e.id === 'light.kitchen')).toMatchObject({ name: 'Kitchen Light', state: 'on', source: 'homeassistant', available: true });
    expect((await haHealth(t)).detail).toContain(`${HOME.length} entities`);

    first.setState('light.kitchen', 'off');
    await waitForAsync(async () => (await api<Entity>(t, 'GET', '/entities/light.kitchen', { cookie })).body.state === 'off', 'state change in the API');

    // HA restarts with a changed home on the same port.
    await first.stop();
    await waitForAsync(async () => (await haEntities(t, cookie)).every((e) => !e.available), 'entities unavailable while HA is away');
    expect((await haHealth(t)).status).toBe('degraded');
    const second = await FakeHomeAssistant.start({
      token: TOKEN,
      port: first.port,
      states: [
        ...HOME.filter((s) => s.entity_id !== 'lock.front_door'),
        { entity_id: 'fan.bedroom', state: 'on', attributes: { friendly_name: 'Bedroom Fan' } },
      ],
    });
    cleanups.push(() => second.stop());
    await waitForAsync(async () => (await haHealth(t)).status === 'ok', 'bridge reconnected');
    const after = await haEntities(t, cookie);
    expect(after.map((e) => e.id)).toContain('fan.bedroom');
    expect(after.map((e) => e.id)).not.toContain('lock.front_door');
    expect(after.find((e) => e.id === 'light.kitchen')).toMatchObject({ state: 'on', available: true });

    // The command path the gate's executor will use reaches HA as call_service.
    const adapter = t.hub.services.get<DeviceAdapter>('homeassistant')!;
    expect(adapter.source).toBe('homeassistant');
    await adapter.execute(
      after.find((e) => e.id === 'fan.bedroom')!,
      'turn_off',
      {},
    );
    expect(second.calls).toEqual([{ domain: 'fan', service: 'turn_off', service_data: { entity_id: 'fan.bedroom' } }]);
    await waitForAsync(async () => (await api<Entity>(t, 'GET', '/entities/fan.bedroom', { cookie })).body.state === 'off', 'fan state follows');

    expect(t.logs.raw.join('\n')).not.toContain(TOKEN);
  });

  it('a wrong token is a clear health error with a bounded number of attempts; a new token in the settings reconnects', async () => {
    const fake = await FakeHomeAssistant.start({ token: TOKEN, states: HOME });
    cleanups.push(() => fake.stop());
    const t = await hubWith({ url: fake.url, token: 'not-the-right-token' });

    await waitForAsync(async () => (await haHealth(t)).detail.includes(AUTH_INVALID_DETAIL), 'auth error in health');
    const health = (await (await fetch(`${t.url}/api/v1/health`)).json()) as { status: string };
    expect(health.status).toBe('degraded'); // the hub serves on; only the bridge is out
    await sleep(3000);
    expect(fake.authAttempts).toBe(1);
    expect(t.logs.raw.join('\n')).not.toContain('not-the-right-token');

    t.hub.ctx.settings.update({ homeassistant: { token: TOKEN } }, 'test');
    await waitForAsync(async () => (await haHealth(t)).status === 'ok', 'connected with the new token');
    expect(t.hub.services.get<DeviceAdapter>('homeassistant')).toBeDefined();
  });

  it('an unreachable HA does not hold up the hub', async () => {
    const gone = await FakeHomeAssistant.start({ token: TOKEN });
    const port = gone.port;
    await gone.stop();
    const t = await hubWith({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const ha = await haHealth(t);
    expect(ha.status).toBe('degraded');
    expect(ha.detail).toContain(`connecting to ws://127.0.0.1:${port}/api/websocket`);
  });
});

async function waitForAsync<T>(check: () => Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
