import { afterEach, describe, expect, it } from 'vitest';
import { request, type IncomingMessage } from 'node:http';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { api, createMember, login, setupOwner } from '../members/helpers.js';
import { historyOf, mqttAdapterOf, registryOf, waitFor } from './helpers.js';

export const DEMO_IDS = [
  'alarm_control_panel.demo_home_alarm',
  'binary_sensor.demo_back_door',
  'binary_sensor.demo_hallway_motion',
  'binary_sensor.demo_kitchen_leak',
  'climate.demo_living_room',
  'cover.demo_garage_door',
  'light.demo_bedroom',
  'light.demo_kitchen',
  'light.demo_living_room',
  'light.demo_porch',
  'lock.demo_front_door',
  'sensor.demo_outdoor_temperature',
];

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.reverse()) await h.stop();
  hubs = [];
});
async function demoHub(dataDir?: string, demo = true): Promise<TestHub> {
  const t = await startTestHub({ settings: { hub: { demo }, mqtt: { port: 0 } }, dataDir });
  hubs.push(t);
  return t;
}
const entity = (t: TestHub, id: string) => registryOf(t).get(id);

interface SseEvent {
  event: string;
  data: any;
}
/** A real EventSource-style reader over HTTP. */
function openEvents(t: TestHub, cookie: string): Promise<{ events: SseEvent[]; res: IncomingMessage; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}/api/v1/events`, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      const events: SseEvent[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      resolve({ events, res, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo home', () => {
  it('shows a living home through the API and SSE, and answers commands a moment later', async () => {
    const t = await demoHub();
    await waitFor(() => DEMO_IDS.every((id) => entity(t, id)?.available), 'every demo entity');
    expect(entity(t, 'lock.demo_front_door')!.state).toBe('locked');
    expect(entity(t, 'cover.demo_garage_door')!.state).toBe('closed');
    expect(entity(t, 'alarm_control_panel.demo_home_alarm')!.state).toBe('disarmed');
    expect(entity(t, 'climate.demo_living_room')!).toMatchObject({ state: 'heat', attributes: { temperature: 21, current_temperature: 20.5 } });
    expect(entity(t, 'binary_sensor.demo_back_door')!.state).toBe('off');
    expect(entity(t, 'light.demo_living_room')!.state).toBe('on');

    const cookie = await setupOwner(t);
    expect((await api(t, 'GET', '/entities')).status).toBe(401);
    const all = await api(t, 'GET', '/entities', { cookie });
    expect(all.status).toBe(200);
    expect(all.body.entities.map((e: { id: string }) => e.id)).toEqual(DEMO_IDS);
    const lights = await api(t, 'GET', '/entities?domain=light&source=mqtt', { cookie });
    expect(lights.body.entities).toHaveLength(4);
    expect((await api(t, 'GET', '/entities?source=homeassistant', { cookie })).body.entities).toEqual([]);
    expect((await api(t, 'GET', '/entities?domain=spaceship', { cookie })).status).toBe(400);
    expect((await api(t, 'GET', '/entities/lock.demo_front_door', { cookie })).body).toMatchObject({
      id: 'lock.demo_front_door',
      domain: 'lock',
      source: 'mqtt',
    });
    const missing = await api(t, 'GET', '/entities/lock.back_door', { cookie });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');

    const sse = await openEvents(t, cookie);
    expect(sse.res.headers['content-type']).toMatch(/text\/event-stream/);
    // Adapter-level command (there is no gate in this test): the lock answers like hardware.
    await mqttAdapterOf(t).execute(entity(t, 'lock.demo_front_door')!, 'unlock', {});
    await waitFor(() => entity(t, 'lock.demo_front_door')?.state === 'unlocked', 'the lock to unlock');
    await waitFor(
      () => sse.events.some((e) => e.event === 'entity.state_changed' && e.data.entity.id === 'lock.demo_front_door' && e.data.entity.state === 'unlocked'),
      'the SSE event',
    );
    expect(sse.events.filter((e) => e.data.entity?.id === 'lock.demo_front_door').map((e) => e.data.entity.state)).toEqual(['unlocking', 'unlocked']);

    await mqttAdapterOf(t).execute(entity(t, 'light.demo_kitchen')!, 'turn_on', { brightness: 100 });
    await waitFor(() => entity(t, 'light.demo_kitchen')?.state === 'on' && entity(t, 'light.demo_kitchen')?.attributes.brightness === 100, 'the kitchen light');
    await mqttAdapterOf(t).execute(entity(t, 'climate.demo_living_room')!, 'set_temperature', { temperature: 22.5 });
    await waitFor(() => entity(t, 'climate.demo_living_room')?.attributes.temperature === 22.5, 'the thermostat');
    await mqttAdapterOf(t).execute(entity(t, 'cover.demo_garage_door')!, 'open_cover', {});
    await waitFor(() => entity(t, 'cover.demo_garage_door')?.state === 'open', 'the garage door');
    await mqttAdapterOf(t).execute(entity(t, 'alarm_control_panel.demo_home_alarm')!, 'alarm_arm_away', {});
    await waitFor(() => entity(t, 'alarm_control_panel.demo_home_alarm')?.state === 'armed_away', 'the alarm');
    sse.close();
    await waitFor(
      () => t.hub.services.get<{ clientCount: number; name: string; start(): void; stop(): void }>('web.events')!.clientCount === 0,
      'the SSE client to go',
    );

    // History keeps the change.
    const hist = await api(t, 'GET', '/entities/lock.demo_front_door/history?limit=5', { cookie });
    expect(hist.status).toBe(200);
    expect(hist.body.history.map((h: { state: string }) => h.state).slice(0, 2)).toEqual(['unlocked', 'unlocking']);
    expect(historyOf(t).list('lock.demo_front_door').length).toBeGreaterThanOrEqual(3);
  });

  it('lets the owner set aliases and area (audited, kept across restarts); others may only read', async () => {
    const dir = tempDir();
    const t1 = await demoHub(dir);
    await waitFor(() => entity(t1, 'lock.demo_front_door'), 'the lock');
    const cookie = await setupOwner(t1);
    await createMember(t1, cookie, { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bob password 123' });
    const bob = await login(t1, 'bob', 'bob password 123');
    expect((await api(t1, 'GET', '/entities/lock.demo_front_door', { cookie: bob })).status).toBe(200);
    expect((await api(t1, 'PATCH', '/entities/lock.demo_front_door', { cookie: bob, body: { aliases: ['door'] } })).status).toBe(403);
    const res = await api(t1, 'PATCH', '/entities/lock.demo_front_door', { cookie, body: { aliases: ['the front door', 'main door'], area: 'Porch' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ aliases: ['the front door', 'main door'], area: 'Porch' });
    expect((await api(t1, 'PATCH', '/entities/lock.demo_front_door', { cookie, body: { state: 'unlocked' } })).status).toBe(400);
    expect(t1.hub.ctx.audit.list({ kind: 'entity.updated' }).entries[0]).toMatchObject({ subject: 'lock.demo_front_door' });
    await t1.stop();
    hubs = hubs.filter((h) => h !== t1);

    const t2 = await demoHub(dir);
    await waitFor(() => entity(t2, 'lock.demo_front_door')?.area === 'Porch', 'the area after a restart');
    expect(entity(t2, 'lock.demo_front_door')!.aliases).toEqual(['the front door', 'main door']);
  });

  it('forgets the demo home when the hub starts without it', async () => {
    const dir = tempDir();
    const t1 = await demoHub(dir);
    await waitFor(() => entity(t1, 'lock.demo_front_door'), 'the lock');
    await t1.stop();
    hubs = hubs.filter((h) => h !== t1);
    const t2 = await demoHub(dir, false);
    await waitFor(() => registryOf(t2).size === 0, 'the demo entities to go');
  });
});
