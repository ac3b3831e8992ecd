import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { api, makeFamily, type Person } from '../gate/support.js';
import { brokerOf, connect, createDeviceLogin, logsWith, mqttAdapterOf, registryOf, waitFor } from './helpers.js';

/**
 * Issue 10, finding 1: a device with a broker login must not be able to make the hub publish into
 * its own topics (or discovery's) through a discovered entity, nor plant a twin of an entity.
 * Everything goes through the real broker with mqtt.js and the real HTTP API and gate.
 */
const hubs: TestHub[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  for (const h of hubs.splice(0)) await h.stop();
});

const DEMO_LOCK_CONFIG = 'homeassistant/lock/hearth_demo/front_door/config';

/** The demo home, a family with a child, and a device signed in with its own broker login. */
async function demoSetup(dataDir = tempDir()): Promise<{ t: TestHub; people: Record<string, Person>; device: MqttClient; lockCommands: string[] }> {
  const t = await startTestHub({ settings: { hub: { demo: true }, mqtt: { port: 0 } }, dataDir });
  hubs.push(t);
  const people = await makeFamily(t.url, t.dataDir, [{ username: 'cara', role: 'child' }]);
  await waitFor(() => registryOf(t).get('lock.demo_front_door')?.state === 'locked', 'the demo lock, locked');
  const password = await createDeviceLogin(t, people.olivia!.cookie, 'plug');
  const device = await connect(t, { clientId: 'plug-1', username: 'plug', password });
  clients.push(device);
  // Every command the hub sends to the demo lock, as seen on the broker.
  const lockCommands: string[] = [];
  brokerOf(t).subscribe('hearth/demo/front_door/set', (m) => lockCommands.push(m.payload.toString('utf8')));
  return { t, people, device, lockCommands };
}

function publish(device: MqttClient, topic: string, payload: unknown): Promise<void> {
  return new Promise((res, rej) => device.publish(topic, JSON.stringify(payload), { qos: 1, retain: true }, (err) => (err ? rej(err) : res())));
}

describe("discovery refuses configs that point at the hub's own topics", () => {
  it("a switch whose command topic is the demo lock's: refused, and a child turning it on unlocks nothing", async () => {
    const { t, people, device, lockCommands } = await demoSetup();
    await publish(device, 'homeassistant/switch/plug/door_opener/config', {
      name: 'Door opener',
      uniq_id: 'plug_door_opener',
      cmd_t: 'hearth/demo/front_door/set',
      pl_on: 'UNLOCK',
      pl_off: 'LOCK',
    });
    const refusal = await waitFor(
      () => logsWith(t, 'discovery config refused').find((l) => l.topic === 'homeassistant/switch/plug/door_opener/config'),
      'the refusal',
    );
    expect(refusal).toMatchObject({ clientId: 'plug-1', config_key: 'command_topic', refused_topic: 'hearth/demo/front_door/set' });
    expect(registryOf(t).get('switch.door_opener')).toBeUndefined();

    const asked = await api(t.url, people.cara!, 'POST', '/actions', { entity_id: 'switch.door_opener', operation: 'turn_on' });
    expect(asked.status).toBe(404);
    expect(lockCommands).toEqual([]);
    expect(registryOf(t).get('lock.demo_front_door')!.state).toBe('locked');
  });

  it("a switch whose command topic is the demo lock's discovery config: refused, the demo config is untouched", async () => {
    const { t, people, device } = await demoSetup();
    const before = brokerOf(t).retainedPayload(DEMO_LOCK_CONFIG)!.toString('utf8');
    const evilLock = JSON.stringify({
      name: 'Front door',
      uniq_id: 'demo_front_door',
      cmd_t: 'plug/lock/set',
      stat_t: 'plug/lock/state',
      dev: { identifiers: ['hearth_demo_home'] },
    });
    await publish(device, 'homeassistant/switch/plug/rewrite/config', {
      name: 'Rewrite',
      uniq_id: 'plug_rewrite',
      cmd_t: DEMO_LOCK_CONFIG,
      pl_on: evilLock,
      ret: true,
    });
    await waitFor(() => logsWith(t, 'discovery config refused').find((l) => l.topic === 'homeassistant/switch/plug/rewrite/config'), 'the refusal');
    expect((await api(t.url, people.olivia!, 'POST', '/actions', { entity_id: 'switch.rewrite', operation: 'turn_on' })).status).toBe(404);
    expect(brokerOf(t).retainedPayload(DEMO_LOCK_CONFIG)!.toString('utf8')).toBe(before);
    // The lock still follows the demo's own state topic, not the device's.
    device.publish('plug/lock/state', 'UNLOCKED');
    await brokerOf(t).publish('hearth/demo/front_door/state', 'LOCKED');
    expect(registryOf(t).get('lock.demo_front_door')!.state).toBe('locked');
  });

  it('refuses state, availability and attributes topics under hearth/, $ or a discovery prefix too', async () => {
    const { t, device } = await demoSetup();
    const cases: [string, Record<string, unknown>][] = [
      ['state', { stat_t: 'hearth/demo/front_door/state', cmd_t: 'plug/a/set' }],
      ['avty', { avty_t: '$SYS/broker/uptime', cmd_t: 'plug/b/set' }],
      ['avty_list', { avty: [{ t: 'tasmota/discovery/AABBCCDDEEFF/config' }], cmd_t: 'plug/c/set' }],
      ['attrs', { json_attr_t: 'homeassistant/status', cmd_t: 'plug/d/set' }],
      ['base', { '~': 'hearth/demo/porch', cmd_t: '~/set' }],
    ];
    for (const [id, cfg] of cases) await publish(device, `homeassistant/switch/plug/${id}/config`, { name: `Plug ${id}`, uniq_id: `plug_${id}`, ...cfg });
    for (const [id] of cases)
      await waitFor(() => logsWith(t, 'discovery config refused').find((l) => l.topic === `homeassistant/switch/plug/${id}/config`), `refusal of ${id}`);
    expect(registryOf(t).list({ domain: 'switch' })).toEqual([]);
  });

  it('a look-alike "Front door" claiming the demo lock\'s unique_id makes no twin and takes nothing over', async () => {
    const { t, device, lockCommands } = await demoSetup();
    await publish(device, 'homeassistant/lock/plug/front_door/config', {
      name: 'Front door',
      uniq_id: 'demo_front_door',
      cmd_t: 'plug/lock/set',
      stat_t: 'plug/lock/state',
      pl_unlk: 'UNLOCK',
    });
    const refusal = await waitFor(
      () => logsWith(t, 'unique_id is already used').find((l) => l.topic === 'homeassistant/lock/plug/front_door/config'),
      'the refusal',
    );
    expect(refusal).toMatchObject({ clientId: 'plug-1', unique_id: 'demo_front_door', held_by: DEMO_LOCK_CONFIG });
    const locks = registryOf(t).list({ domain: 'lock' });
    expect(locks.map((e) => e.id)).toEqual(['lock.demo_front_door']);
    // The real lock still answers the demo's topic: the owner unlocking it goes to the demo.
    device.publish('plug/lock/state', 'UNLOCKED');
    expect(mqttAdapterOf(t).discovery.lookup('lock.demo_front_door')!.configTopic).toBe(DEMO_LOCK_CONFIG);
    expect(lockCommands).toEqual([]);
  });

  it("a look-alike planted before the demo home is turned on does not keep the demo lock's unique_id", async () => {
    const dataDir = tempDir();
    const first = await startTestHub({ settings: { hub: { demo: false }, mqtt: { port: 0, allow_anonymous: true } }, dataDir });
    hubs.push(first);
    const device = await connect(first, { clientId: 'plug-1' });
    clients.push(device);
    await publish(device, 'homeassistant/lock/plug/front_door/config', {
      name: 'Front door',
      uniq_id: 'demo_front_door',
      cmd_t: 'plug/lock/set',
      stat_t: 'plug/lock/state',
    });
    await waitFor(() => registryOf(first).get('lock.front_door'), 'the look-alike');
    device.end(true);
    await first.stop();
    hubs.splice(hubs.indexOf(first), 1);

    // Read back first from the retained store, the look-alike then gives way to the demo's config.
    const t = await startTestHub({ settings: { hub: { demo: true }, mqtt: { port: 0 } }, dataDir });
    hubs.push(t);
    await waitFor(() => mqttAdapterOf(t).discovery.lookup('lock.demo_front_door')?.configTopic === DEMO_LOCK_CONFIG, 'the demo lock');
    await waitFor(() => registryOf(t).get('lock.demo_front_door')?.state === 'locked', 'the demo lock, locked');
    expect(
      registryOf(t)
        .list({ domain: 'lock' })
        .map((e) => e.id),
    ).toEqual(['lock.demo_front_door']);
    expect(logsWith(t, 'belongs to the demo home').some((l) => l.topic === 'homeassistant/lock/plug/front_door/config')).toBe(true);
  });

  it('the hub itself never publishes a device command into a reserved topic, whatever config got in', async () => {
    const { t, lockCommands } = await demoSetup();
    const adapter = mqttAdapterOf(t);
    // A config installed past the discovery checks (as a future format's bug might): the adapter still refuses.
    const cfg = { name: 'Sneaky', command_topic: 'hearth/demo/front_door/set', payload_on: 'UNLOCK' };
    adapter.discovery.install(
      { topic: 'homeassistant/switch/plug/sneaky/config', payload: Buffer.from('{}'), retain: true, clientId: 'plug-1' },
      {
        key: 'switch/plug/sneaky',
        component: 'switch',
        cfg,
        entityId: 'switch.sneaky',
        name: () => 'Sneaky',
        bindings: [],
        availability: [],
        availabilityMode: 'latest',
        warnings: [],
        device: null,
        claims: [],
      },
    );
    const entity = registryOf(t).get('switch.sneaky')!;
    await expect(adapter.execute(entity, 'turn_on', {})).rejects.toMatchObject({ code: 'DEVICE_TOPIC_RESERVED' });
    expect(lockCommands).toEqual([]);
    expect(registryOf(t).get('lock.demo_front_door')!.state).toBe('locked');
  });
});
