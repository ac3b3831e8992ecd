import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, createMember, login, setupOwner } from '../members/helpers.js';
import { FakeHomeAssistant } from '../fakes/home-assistant.js';
import { HOME, TOKEN } from './homeassistant/helpers.js';
import { brokerOf, registryOf, waitFor } from './helpers.js';
import { DEMO_DEVICES } from '../../src/devices/demo/devices.js';

const DEMO_IDS = DEMO_DEVICES.map((d) => String(d.config.default_entity_id));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function hub(settings: Record<string, unknown>): Promise<TestHub> {
  const t = await startTestHub({ settings: { mqtt: { port: 0 }, ...settings } });
  cleanups.push(() => t.stop());
  return t;
}

/**
 * The demo home makes room for the real one: its ids are its own, so a real Home Assistant's
 * lock.front_door is never hidden; it turns off and on while the hub runs; its sensors can be
 * set by hand, over MQTT as their hardware would.
 */
describe('the demo home yields', () => {
  it('with a real Home Assistant (stand-in) and the demo on, every real entity is there, none hidden or renamed', async () => {
    const ha = await FakeHomeAssistant.start({ token: TOKEN, states: HOME });
    cleanups.push(() => ha.stop());
    const t = await hub({ hub: { demo: true }, homeassistant: { url: ha.url, token: TOKEN } });
    await waitFor(() => DEMO_IDS.every((id) => registryOf(t).get(id)), 'the demo home');
    const real = await waitFor(
      () => {
        const list = registryOf(t).list({ source: 'homeassistant' });
        return list.length === HOME.length ? list : undefined;
      },
      'every Home Assistant entity',
      20_000,
    );
    expect(real.map((e) => e.id).sort()).toEqual(HOME.map((s) => s.entity_id).sort());
    // The ids a demo once took: the real devices hold them.
    expect(registryOf(t).get('lock.front_door')).toMatchObject({ source: 'homeassistant', state: 'locked' });
    expect(registryOf(t).get('light.kitchen')).toMatchObject({ source: 'homeassistant', state: 'on' });
    expect(registryOf(t).get('lock.demo_front_door')?.device?.id).toBe('hearth_demo_home');
    expect(t.logs.lines.some((l) => /ignored a Home Assistant entity/.test(String(l.msg)))).toBe(false);
  }, 60_000);

  it('turns off and on at run time with hub.demo, without a restart', async () => {
    const t = await hub({ hub: { demo: true } });
    const cookie = await setupOwner(t);
    await waitFor(() => DEMO_IDS.every((id) => registryOf(t).get(id)?.available), 'the demo home');
    const off = await api(t, 'PATCH', '/settings', { cookie, body: { hub: { demo: false } } });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ changed: ['hub.demo'], restart_required: [] });
    await waitFor(() => registryOf(t).size === 0, 'the demo entities to go');
    expect((await api(t, 'POST', '/demo/sensors/binary_sensor.demo_back_door', { cookie, body: { on: true } })).body.error.code).toBe('DEMO_OFF');
    const on = await api(t, 'PATCH', '/settings', { cookie, body: { hub: { demo: true } } });
    expect(on.body.restart_required).toEqual([]);
    await waitFor(() => DEMO_IDS.every((id) => registryOf(t).get(id)?.available), 'the demo home back');
    expect(registryOf(t).get('lock.demo_front_door')).toMatchObject({ state: 'locked', area: 'Hall' });
  }, 60_000);

  it('sets the back door, motion and leak sensors over MQTT, for members who may, and nothing else', async () => {
    const t = await hub({ hub: { demo: true } });
    const cookie = await setupOwner(t);
    await createMember(t, cookie, { username: 'kid', display_name: 'Kid', role: 'child', password: 'kid password 123' });
    const kid = await login(t, 'kid', 'kid password 123');
    await waitFor(() => DEMO_IDS.every((id) => registryOf(t).get(id)?.available), 'the demo home');
    const seen: string[] = [];
    const unsubscribe = brokerOf(t).subscribe('hearth/demo/+/state', (m) => seen.push(`${m.topic} ${m.payload.toString('utf8')}`));
    try {
      const open = await api(t, 'POST', '/demo/sensors/binary_sensor.demo_back_door', { cookie, body: { on: true } });
      expect(open.status).toBe(204);
      await waitFor(() => registryOf(t).get('binary_sensor.demo_back_door')?.state === 'on', 'the back door open');
      expect(seen).toContain('hearth/demo/back_door/state {"contact":false}');
      expect((await api(t, 'POST', '/demo/sensors/binary_sensor.demo_kitchen_leak', { cookie, body: { on: true } })).status).toBe(204);
      await waitFor(() => registryOf(t).get('binary_sensor.demo_kitchen_leak')?.state === 'on', 'the leak');
      expect(registryOf(t).get('binary_sensor.demo_kitchen_leak')?.attributes.device_class).toBe('moisture');
      expect((await api(t, 'POST', '/demo/sensors/binary_sensor.demo_hallway_motion', { cookie, body: { on: true } })).status).toBe(204);
      await waitFor(() => registryOf(t).get('binary_sensor.demo_hallway_motion')?.state === 'on', 'motion');
      // Not a sensor, not the demo's, not for a child, not a boolean.
      expect((await api(t, 'POST', '/demo/sensors/lock.demo_front_door', { cookie, body: { on: true } })).status).toBe(404);
      expect((await api(t, 'POST', '/demo/sensors/binary_sensor.demo_back_door', { cookie: kid, body: { on: false } })).status).toBe(403);
      expect((await api(t, 'POST', '/demo/sensors/binary_sensor.demo_back_door', { cookie, body: { on: 'yes' } })).status).toBe(400);
      expect(registryOf(t).get('lock.demo_front_door')?.state).toBe('locked');
    } finally {
      unsubscribe();
    }
  }, 60_000);
});
