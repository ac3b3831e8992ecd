import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { tempDir, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import { hubKit, brokerOf, connect, createDeviceLogin, logsWith, mosquitto, mqttAdapterOf, registryOf, sleep, waitFor } from './helpers.js';

/**
 * Stock Tasmota (SetOption19 0): its own discovery format on tasmota/discovery/<MAC>/…, published
 * by real clients (mosquitto_pub, mqtt.js) that log in with a device login as a plug would.
 */
const fx = JSON.parse(readFileSync(new URL('./fixtures/tasmota-native.json', import.meta.url), 'utf8')) as {
  config: { topic: string; payload: Record<string, unknown> };
  sensors: { topic: string; payload: Record<string, unknown> };
};
const HA_FORMAT = JSON.parse(readFileSync(new URL('./fixtures/tasmota.json', import.meta.url), 'utf8')) as {
  configs: { topic: string; payload: Record<string, unknown> }[];
};

const { hub, stop, clients } = hubKit();
const entity = (t: TestHub, id: string) => registryOf(t).get(id);

/** mosquitto_pub as the device, with its login. */
function publisher(t: TestHub, login: { username: string; password: string } | null, clientId: string) {
  return async (topic: string, message: string, retain = false) => {
    const auth = login ? ['-u', login.username, '-P', login.password] : [];
    const r = await mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(brokerOf(t).port),
      '-i',
      clientId,
      ...auth,
      '-t',
      topic,
      '-m',
      message,
      ...(retain ? ['-r'] : []),
    ]);
    expect(r.code, r.stderr).toBe(0);
  };
}
const emptyRetained = async (t: TestHub, topic: string, login: { username: string; password: string } | null = null) => {
  // mosquitto_pub -n sends a zero-length payload (-r: retained), Tasmota's way of clearing discovery.
  const auth = login ? ['-u', login.username, '-P', login.password] : [];
  const r = await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(brokerOf(t).port), '-i', 'tasmota_clear', ...auth, '-t', topic, '-n', '-r']);
  expect(r.code, r.stderr).toBe(0);
};

describe('Tasmota native discovery (stock firmware, no SetOption19)', () => {
  it('discovers a two-relay device, follows RESULT/STATE/POWERn and LWT, commands it through the gate, and forgets it on an empty config', async () => {
    const t = await hub({ allow_anonymous: false });
    const cookie = await setupOwner(t);
    const login = { username: 'kitchen-dual', password: await createDeviceLogin(t, cookie, 'kitchen-dual') };
    const pub = publisher(t, login, 'tasmota_F87C6B');
    await pub(fx.config.topic, JSON.stringify(fx.config.payload), true);
    await pub(fx.sensors.topic, JSON.stringify(fx.sensors.payload), true);
    await pub('tele/tasmota_F87C6B/LWT', 'Online', true);

    const kettle = await waitFor(() => entity(t, 'switch.kettle'), 'the first relay');
    const coffee = await waitFor(() => entity(t, 'switch.coffee_machine'), 'the second relay');
    expect(kettle).toMatchObject({ name: 'Kettle', domain: 'switch', source: 'mqtt', state: 'unknown', warning: null });
    expect(kettle.device).toMatchObject({ id: 'DC4F22F87C6B', name: 'Kitchen Dual', manufacturer: 'Tasmota', model: 'Sonoff Dual R2' });
    expect(coffee.name).toBe('Coffee machine');
    await waitFor(() => entity(t, 'switch.kettle')?.available && entity(t, 'switch.coffee_machine')?.available, 'LWT Online');
    // Relays 3–8 are unused (rl 0): nothing else from this device but its sensors.
    const ids = registryOf(t)
      .list({ source: 'mqtt' })
      .map((e) => e.id);
    expect(ids.filter((id) => !id.startsWith('sensor.'))).toEqual(['switch.coffee_machine', 'switch.kettle']);

    // State: stat/RESULT (the answer to a command), tele/STATE (periodic), stat/POWERn (plain).
    await pub('stat/tasmota_F87C6B/RESULT', JSON.stringify({ POWER1: 'ON' }));
    await waitFor(() => entity(t, 'switch.kettle')?.state === 'on', 'RESULT to turn the kettle on');
    expect(entity(t, 'switch.coffee_machine')!.state).toBe('unknown');
    await pub(
      'tele/tasmota_F87C6B/STATE',
      JSON.stringify({ Time: '2026-01-01T10:00:00', Uptime: '0T01:00:00', POWER1: 'OFF', POWER2: 'ON', Wifi: { RSSI: 70 } }),
    );
    await waitFor(() => entity(t, 'switch.kettle')?.state === 'off' && entity(t, 'switch.coffee_machine')?.state === 'on', 'STATE for both relays');
    await pub('stat/tasmota_F87C6B/POWER2', 'OFF');
    await waitFor(() => entity(t, 'switch.coffee_machine')?.state === 'off', 'stat/POWER2');

    // Sensors from the sensors message, values from tele/SENSOR.
    await pub(
      'tele/tasmota_F87C6B/SENSOR',
      JSON.stringify({ Time: '2026-01-01T10:05:00', AM2301: { Temperature: 22.5, Humidity: 51, DewPoint: 11.9 }, TempUnit: 'C' }),
    );
    await waitFor(() => entity(t, 'sensor.kitchen_dual_am2301_temperature')?.state === '22.5', 'the temperature');
    expect(entity(t, 'sensor.kitchen_dual_am2301_temperature')!.attributes).toMatchObject({ device_class: 'temperature', unit_of_measurement: '°C' });
    expect(entity(t, 'sensor.kitchen_dual_am2301_humidity')!.state).toBe('51');

    // A command through the gate: the hub publishes cmnd/<topic>/POWER2 ON; the device answers as Tasmota does.
    const device = await connect(t, { clientId: 'tasmota_F87C6B_cmnd', ...login });
    clients.push(device);
    const seen: [string, string][] = [];
    device.on('message', (topic, payload) => {
      seen.push([topic, payload.toString()]);
      const relay = /^cmnd\/tasmota_F87C6B\/POWER(\d)$/.exec(topic);
      if (relay) void device.publishAsync('stat/tasmota_F87C6B/RESULT', JSON.stringify({ [`POWER${relay[1]}`]: payload.toString() }));
    });
    await device.subscribeAsync('cmnd/tasmota_F87C6B/#');
    const res = await api(t, 'POST', '/actions', { cookie, body: { entity_id: 'switch.coffee_machine', operation: 'turn_on' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'executed', entity: { id: 'switch.coffee_machine', state: 'on' } });
    expect(seen).toEqual([['cmnd/tasmota_F87C6B/POWER2', 'ON']]);
    expect(entity(t, 'switch.kettle')!.state).toBe('off');

    // LWT Offline: unavailable.
    await pub('tele/tasmota_F87C6B/LWT', 'Offline', true);
    await waitFor(() => entity(t, 'switch.kettle')?.available === false && entity(t, 'switch.coffee_machine')?.available === false, 'LWT Offline');
    expect(entity(t, 'sensor.kitchen_dual_am2301_temperature')!.available).toBe(false);

    // An empty retained config removes the device's entities.
    await emptyRetained(t, fx.config.topic, login);
    await waitFor(() => registryOf(t).list({ source: 'mqtt' }).length === 0, 'the device to be forgotten');
    expect(mqttAdapterOf(t).discovery.size).toBe(0);
  });

  it('logs and ignores garbage on tasmota/discovery; the hub and other entities carry on', async () => {
    const t = await hub({ allow_anonymous: true });
    const pub = publisher(t, null, 'garbage-device');
    await pub(fx.config.topic, JSON.stringify(fx.config.payload), true);
    await pub(
      'homeassistant/switch/shelly1/relay_0/config',
      JSON.stringify({ name: 'Garden pump', cmd_t: 'shellies/shelly1/relay/0/command', stat_t: 'shellies/shelly1/relay/0', uniq_id: 'shelly1-relay0' }),
      true,
    );
    await pub('shellies/shelly1/relay/0', 'ON', true);
    await waitFor(() => entity(t, 'switch.kettle') && entity(t, 'switch.garden_pump')?.state === 'on', 'the healthy entities');

    const good = fx.config.payload;
    const garbage: [string, string, string][] = [
      ['tasmota/discovery/A0B1C2D3E4F5/config', '{"dn": "x", ', 'malformed JSON'],
      ['tasmota/discovery/A0B1C2D3E4F5/config', '[1, 2, 3]', 'not a JSON object'],
      ['tasmota/discovery/A0B1C2D3E4F5/config', JSON.stringify({ ...good, mac: 'A0B1C2D3E4F5', tp: 'cmnd' }), 'invalid config'],
      ['tasmota/discovery/A0B1C2D3E4F6/config', JSON.stringify({ ...good, mac: 'A0B1C2D3E4F5' }), 'invalid config'],
      ['tasmota/discovery/A0B1C2D3E4F7/config', JSON.stringify({ ...good, mac: 'A0B1C2D3E4F7', t: 'plug/#' }), 'invalid config'],
      ['tasmota/discovery/A0B1C2D3E4F8/config', JSON.stringify({ ...good, mac: 'A0B1C2D3E4F8', ft: 'hearth/%prefix%/%topic%/' }), 'invalid config'],
      ['tasmota/discovery/A0B1C2D3E4F9/config', JSON.stringify({ ...good, mac: 'A0B1C2D3E4F9', rl: 'many' }), 'invalid config'],
      ['tasmota/discovery/A0B1C2D3E4FA/config', JSON.stringify({ ...good, mac: 'A0B1C2D3E4FA', dn: 'x'.repeat(20_000) }), 'payload too large'],
      ['tasmota/discovery/not-a-mac/config', JSON.stringify(good), 'topic is not tasmota/discovery'],
      ['tasmota/discovery/DC4F22F87C6B/sensors', JSON.stringify({ sn: [1, 2] }), 'invalid config'],
      // A well-formed config for the same MAC as a working one, but broken: the working one stays.
      ['tasmota/discovery/DC4F22F87C6B/config', JSON.stringify({ ...good, state: 'ON' }), 'invalid config'],
    ];
    for (const [topic, payload] of garbage) await pub(topic, payload);
    for (const [topic, , why] of garbage) {
      await waitFor(() => logsWith(t, why).some((l) => l.topic === topic && l.clientId === 'garbage-device'), `the log "${why}" for ${topic}`);
    }
    // Nothing was created from the garbage; the healthy entities are intact and still work.
    await sleep(200);
    expect(
      registryOf(t)
        .list({ source: 'mqtt' })
        .map((e) => e.id),
    ).toEqual(['switch.coffee_machine', 'switch.garden_pump', 'switch.kettle']);
    await pub('stat/tasmota_F87C6B/RESULT', JSON.stringify({ POWER2: 'ON' }));
    await pub('stat/tasmota_F87C6B/RESULT', 'not json at all');
    await waitFor(() => entity(t, 'switch.coffee_machine')?.state === 'on', 'the healthy device to follow its state');
    expect(entity(t, 'switch.coffee_machine')!.warning).toBeNull();
    expect((await fetch(`${t.url}/api/v1/health`)).status).toBeLessThan(500);
  });

  it('keeps one entity when the same plug also announces itself in HA format (SetOption19 1), whichever comes first', async () => {
    const t = await hub({ allow_anonymous: true });
    const pub = publisher(t, null, 'tasmota_35EBF6');
    const [haSwitch, haPower] = HA_FORMAT.configs as [{ topic: string; payload: Record<string, unknown> }, { topic: string; payload: Record<string, unknown> }];
    // The plug of tests/devices/fixtures/tasmota.json, in its native format (topic EZPlug_35EBF6, %topic%/%prefix%/).
    const native = {
      ...fx.config.payload,
      dn: '3DPrinter',
      fn: ['3DPrinter', null, null, null, null, null, null, null],
      mac: '2462AB35EBF6',
      t: 'EZPlug_35EBF6',
      ft: '%topic%/%prefix%/',
      rl: [1, 0, 0, 0, 0, 0, 0, 0],
      md: 'EZPlug',
    };
    const nativeTopic = 'tasmota/discovery/2462AB35EBF6/config';
    const sensors = { sn: { Time: '2026-01-01T10:00:00', ENERGY: { Total: 1.2, Power: 0, Voltage: 230 } }, ver: 1 };
    const countIds = (prefix: string) =>
      registryOf(t)
        .list({ source: 'mqtt' })
        .filter((e) => e.id.startsWith(prefix)).length;
    const keyOf = (id: string) => mqttAdapterOf(t).discovery.lookup(id)?.key;

    // HA format first: its entity exists, then the native config takes it over under the same id.
    await pub(haSwitch.topic, JSON.stringify(haSwitch.payload), true);
    await pub(haPower.topic, JSON.stringify(haPower.payload), true);
    await pub('EZPlug_35EBF6/tele/LWT', 'Online', true);
    await waitFor(() => keyOf('switch.3dprinter') === 'switch/35EBF6_RL_1', 'the HA-format switch');
    await waitFor(() => keyOf('sensor.3dprinter_energy_power') === 'sensor/35EBF6_ENERGY_Power', 'the HA-format power sensor');
    registryOf(t).setAliases('switch.3dprinter', ['printer plug'], 'Workshop');
    await pub(nativeTopic, JSON.stringify(native), true);
    await pub('tasmota/discovery/2462AB35EBF6/sensors', JSON.stringify(sensors), true);
    await waitFor(() => keyOf('switch.3dprinter') === 'tasmota/2462AB35EBF6/relay/0', 'the native switch to take over');
    await waitFor(() => keyOf('sensor.3dprinter_energy_power') === 'tasmota/2462AB35EBF6/sensor/ENERGY/Power', 'the native sensor to take over');
    expect(countIds('switch.')).toBe(1);
    expect(
      registryOf(t)
        .list({ source: 'mqtt' })
        .filter((e) => e.id.includes('energy_power')),
    ).toHaveLength(1);
    expect(entity(t, 'switch.3dprinter')).toMatchObject({ aliases: ['printer plug'], area: 'Workshop', available: true });

    // The HA-format config published again (Tasmota re-announces) is set aside, logged.
    await pub(haSwitch.topic, JSON.stringify(haSwitch.payload), true);
    await waitFor(
      () => logsWith(t, 'comes from its native discovery').some((l) => l.topic === haSwitch.topic && l.clientId === 'tasmota_35EBF6'),
      'the set-aside log',
    );
    expect(countIds('switch.')).toBe(1);
    expect(keyOf('switch.3dprinter')).toBe('tasmota/2462AB35EBF6/relay/0');

    // State and commands work through the native entity, on the same topics.
    await pub('EZPlug_35EBF6/stat/RESULT', JSON.stringify({ POWER: 'ON' }));
    await waitFor(() => entity(t, 'switch.3dprinter')?.state === 'on', 'the state');

    // The native config removed (SetOption19 1 clears it): the HA-format entity comes back.
    await emptyRetained(t, nativeTopic);
    await waitFor(() => keyOf('switch.3dprinter') === 'switch/35EBF6_RL_1', 'the HA-format switch to come back');
    await waitFor(() => keyOf('sensor.3dprinter_energy_power') === 'sensor/35EBF6_ENERGY_Power', 'the HA-format sensor to come back');
    expect(countIds('switch.')).toBe(1);

    // Native first on a fresh hub (after a restart, retained configs reload in either order): still one.
    const dir = tempDir();
    const t2 = await hub({ allow_anonymous: true }, dir);
    const pub2 = publisher(t2, null, 'tasmota_35EBF6');
    await pub2(nativeTopic, JSON.stringify(native), true);
    await waitFor(() => registryOf(t2).get('switch.3dprinter'), 'the native switch');
    await pub2(haSwitch.topic, JSON.stringify(haSwitch.payload), true);
    await waitFor(() => logsWith(t2, 'comes from its native discovery').some((l) => l.topic === haSwitch.topic), 'the HA-format config set aside');
    await stop(t2);
    const t3 = await hub({ allow_anonymous: true }, dir);
    await waitFor(() => mqttAdapterOf(t3).discovery.lookup('switch.3dprinter')?.key === 'tasmota/2462AB35EBF6/relay/0', 'the native switch after a restart');
    expect(
      registryOf(t3)
        .list({ source: 'mqtt' })
        .map((e) => e.id),
    ).toEqual(['switch.3dprinter']);
  });
});
