import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { tempDir, type TestHub } from '../helpers/hub.js';
import { setupOwner } from '../members/helpers.js';
import { hubKit, brokerOf, connect, createDeviceLogin, logsWith, mosquitto, mqttAdapterOf, registryOf, waitFor } from './helpers.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as {
    bridge_state?: { topic: string; payload: string };
    configs: { topic: string; payload: Record<string, unknown> }[];
  };

const { hub, stop, clients } = hubKit({ allow_anonymous: true });
async function client(t: TestHub, options: Parameters<typeof connect>[1] = {}): Promise<MqttClient> {
  const c = await connect(t, options);
  clients.push(c);
  return c;
}
const entity = (t: TestHub, id: string) => registryOf(t).get(id);
/** Resolves with the next payload on `topic` seen by `c`. */
function nextMessage(c: MqttClient, topic: string): Promise<string> {
  return new Promise((resolve) => {
    const on = (tp: string, payload: Buffer) => {
      if (tp !== topic) return;
      c.off('message', on);
      resolve(payload.toString());
    };
    c.on('message', on);
  });
}

describe('MQTT discovery: Zigbee2MQTT', () => {
  it('discovers a Zigbee2MQTT bridge that logs in with its credentials, follows its state and availability, and commands it', async () => {
    const t = await hub({ allow_anonymous: false });
    const cookie = await setupOwner(t);
    const password = await createDeviceLogin(t, cookie, 'zigbee2mqtt');
    const z2m = await client(t, { clientId: 'zigbee2mqtt_1', username: 'zigbee2mqtt', password });
    const fx = fixture('zigbee2mqtt.json');
    await z2m.publishAsync(fx.bridge_state!.topic, fx.bridge_state!.payload, { retain: true });
    for (const c of fx.configs) await z2m.publishAsync(c.topic, JSON.stringify(c.payload), { retain: true });
    await z2m.publishAsync('zigbee2mqtt/Study lamp', JSON.stringify({ state: 'ON', brightness: 254, color_temp: 370, linkquality: 120 }));
    await z2m.publishAsync('zigbee2mqtt/Landing motion', JSON.stringify({ occupancy: true, battery: 91, illuminance: 12 }));
    await z2m.publishAsync('zigbee2mqtt/Side gate', JSON.stringify({ state: 'LOCK', battery: 80 }));

    await waitFor(() => entity(t, 'light.study_lamp')?.state === 'on', 'the lamp');
    const lamp = entity(t, 'light.study_lamp')!;
    expect(lamp).toMatchObject({ name: 'Study lamp', domain: 'light', source: 'mqtt', available: true, warning: null });
    expect(lamp.attributes.brightness).toBe(255);
    expect(lamp.device).toMatchObject({ manufacturer: 'IKEA', name: 'Study lamp' });
    const motion = await waitFor(() => entity(t, 'binary_sensor.landing_motion_occupancy')?.state === 'on', 'motion on');
    expect(motion).toBe(true);
    await waitFor(() => entity(t, 'sensor.landing_motion_battery')?.state === '91', 'battery');
    expect(entity(t, 'sensor.landing_motion_battery')!.attributes.unit_of_measurement).toBe('%');
    await waitFor(() => entity(t, 'lock.side_gate')?.state === 'locked', 'the lock');

    // Availability follows the bridge.
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'offline' }), { retain: true });
    await waitFor(() => entity(t, 'light.study_lamp')?.available === false, 'the lamp to be unavailable');
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'online' }), { retain: true });
    await waitFor(() => entity(t, 'light.study_lamp')?.available === true, 'the lamp to be available');

    // Commands (adapter level: no gate here) reach the device as Zigbee2MQTT expects them.
    await z2m.subscribeAsync('zigbee2mqtt/+/set');
    const adapter = mqttAdapterOf(t);
    let got = nextMessage(z2m, 'zigbee2mqtt/Study lamp/set');
    await adapter.execute(entity(t, 'light.study_lamp')!, 'turn_on', { brightness: 128 });
    expect(JSON.parse(await got)).toEqual({ state: 'ON', brightness: 127 });
    got = nextMessage(z2m, 'zigbee2mqtt/Side gate/set');
    await adapter.execute(entity(t, 'lock.side_gate')!, 'unlock', {});
    expect(await got).toBe('UNLOCK');
    await z2m.publishAsync('zigbee2mqtt/Side gate', JSON.stringify({ state: 'UNLOCK' }));
    await waitFor(() => entity(t, 'lock.side_gate')?.state === 'unlocked', 'the lock to report unlocked');
  });
});

describe('MQTT discovery: Tasmota', () => {
  it('discovers Tasmota configs published with mosquitto_pub (abbreviations, ~ base, LWT)', async () => {
    const t = await hub();
    const port = String(brokerOf(t).port);
    const pub = async (topic: string, message: string, retain = false) => {
      const r = await mosquitto('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-i',
        'tasmota_35EBF6',
        '-t',
        topic,
        '-m',
        message,
        ...(retain ? ['-r'] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
    };
    for (const c of fixture('tasmota.json').configs) await pub(c.topic, JSON.stringify(c.payload), true);
    await pub('EZPlug_35EBF6/tele/LWT', 'Online', true);
    await pub('tasmota_A1B2C3/tele/LWT', 'Online', true);
    await pub('EZPlug_35EBF6/tele/STATE', JSON.stringify({ Time: '2026-01-01T10:00:00', POWER1: 'ON' }));
    await pub('EZPlug_35EBF6/tele/SENSOR', JSON.stringify({ Time: '2026-01-01T10:00:00', ENERGY: { Power: 112, Voltage: 231 } }));
    await pub('tasmota_A1B2C3/tele/STATE', JSON.stringify({ POWER: 'ON', Dimmer: 50 }));

    await waitFor(() => entity(t, 'switch.3dprinter')?.state === 'on', 'the Tasmota switch');
    expect(entity(t, 'switch.3dprinter')!.available).toBe(true);
    await waitFor(() => entity(t, 'sensor.3dprinter_energy_power')?.state === '112', 'the power sensor');
    expect(entity(t, 'sensor.3dprinter_energy_power')!.attributes).toMatchObject({ unit_of_measurement: 'W', device_class: 'power' });
    await waitFor(() => entity(t, 'light.hall_dimmer')?.attributes.brightness === 128, 'the dimmer');
    expect(entity(t, 'light.hall_dimmer')!.state).toBe('on');

    // A command arrives where Tasmota listens (~ expanded), seen by a real mosquitto_sub.
    const sub = mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-t', 'EZPlug_35EBF6/cmnd/POWER1', '-C', '1', '-W', '5']);
    await waitFor(() => brokerOf(t).clientCount >= 1, 'mosquitto_sub to connect');
    await new Promise((r) => setTimeout(r, 200));
    await mqttAdapterOf(t).execute(entity(t, 'switch.3dprinter')!, 'turn_off', {});
    expect((await sub).stdout.trim()).toBe('OFF');

    // LWT offline makes it unavailable.
    await pub('EZPlug_35EBF6/tele/LWT', 'Offline', true);
    await waitFor(() => entity(t, 'switch.3dprinter')?.available === false, 'offline');
  });
});

describe('MQTT discovery: device-based configs, removal, restart', () => {
  it('handles homeassistant/device/<id>/config with cmps, removes components, and forgets on an empty retained payload', async () => {
    const t = await hub();
    const dev = await client(t, { clientId: 'esp-weather' });
    const config = {
      dev: { ids: 'ea334450945afc', name: 'Kitchen', mf: 'Bla electronics', mdl: 'xya' },
      o: { name: 'bla2mqtt', sw: '2.1', url: 'https://bla2mqtt.example.com/support' },
      cmps: {
        temp01: {
          p: 'sensor',
          device_class: 'temperature',
          unit_of_measurement: '°C',
          value_template: '{{ value_json.temperature }}',
          unique_id: 'temp01ae_t',
        },
        hum01: { p: 'sensor', device_class: 'humidity', unit_of_measurement: '%', value_template: "{{ value_json['humidity'] }}", unique_id: 'temp01ae_h' },
      },
      stat_t: 'sensorKitchen/state',
      qos: 1,
    };
    await dev.publishAsync('homeassistant/device/ea334450945afc/config', JSON.stringify(config), { retain: true });
    await dev.publishAsync('sensorKitchen/state', JSON.stringify({ temperature: 23.1, humidity: 44 }), { retain: true });
    await waitFor(() => entity(t, 'sensor.temp01ae_t')?.state === '23.1', 'temperature');
    await waitFor(() => entity(t, 'sensor.temp01ae_h')?.state === '44', 'humidity');
    expect(entity(t, 'sensor.temp01ae_t')!.device).toMatchObject({ id: 'ea334450945afc', name: 'Kitchen', manufacturer: 'Bla electronics' });

    // A component reduced to its platform is removed.
    await dev.publishAsync('homeassistant/device/ea334450945afc/config', JSON.stringify({ ...config, cmps: { ...config.cmps, hum01: { p: 'sensor' } } }), {
      retain: true,
    });
    await waitFor(() => !entity(t, 'sensor.temp01ae_h'), 'humidity to be removed');
    expect(entity(t, 'sensor.temp01ae_t')).toBeDefined();

    // An empty retained payload removes the device's entities.
    await dev.publishAsync('homeassistant/device/ea334450945afc/config', '', { retain: true });
    await waitFor(() => !entity(t, 'sensor.temp01ae_t'), 'temperature to be removed');
  });

  it('removes an entity on an empty retained config, and rediscovers retained configs after a restart', async () => {
    const dir = tempDir();
    const t1 = await hub({}, dir);
    const dev = await client(t1, { clientId: 'shelly1' });
    await dev.publishAsync(
      'homeassistant/switch/shelly1/relay_0/config',
      JSON.stringify({
        name: 'Garden pump',
        cmd_t: 'shellies/shelly1/relay/0/command',
        stat_t: 'shellies/shelly1/relay/0',
        pl_on: 'on',
        pl_off: 'off',
        uniq_id: 'shelly1-relay0',
      }),
      { retain: true },
    );
    await dev.publishAsync('shellies/shelly1/relay/0', 'on', { retain: true });
    await dev.publishAsync(
      'homeassistant/switch/shelly1/relay_1/config',
      JSON.stringify({ name: 'Spare relay', cmd_t: 'shellies/shelly1/relay/1/command', uniq_id: 'shelly1-relay1' }),
      { retain: true },
    );
    await waitFor(() => entity(t1, 'switch.garden_pump')?.state === 'on', 'the pump');
    await waitFor(() => entity(t1, 'switch.spare_relay'), 'the spare relay');
    await dev.publishAsync('homeassistant/switch/shelly1/relay_1/config', '', { retain: true });
    await waitFor(() => !entity(t1, 'switch.spare_relay'), 'the spare relay to be removed');
    dev.end(true);
    await stop(t1);

    const t2 = await hub({}, dir);
    await waitFor(() => entity(t2, 'switch.garden_pump')?.state === 'on', 'the pump after a restart');
    expect(entity(t2, 'switch.spare_relay')).toBeUndefined();
  });
});

describe('MQTT discovery: bad configs', () => {
  it('logs and ignores malformed JSON, unknown components and invalid configs; marks templates it cannot evaluate', async () => {
    const t = await hub();
    const bad = await client(t, { clientId: 'bad-device' });
    await bad.publishAsync('homeassistant/sensor/bad/json/config', '{"name": "x", ', { retain: true });
    await bad.publishAsync('homeassistant/teleporter/bad/beam/config', JSON.stringify({ name: 'Beam', cmd_t: 'x/y' }), { retain: true });
    await bad.publishAsync('homeassistant/switch/bad/wild/config', JSON.stringify({ name: 'Wild', cmd_t: 'x/#' }), { retain: true });
    await bad.publishAsync(
      'homeassistant/sensor/bad/jinja/config',
      JSON.stringify({ name: 'Fancy', stat_t: 'bad/fancy', val_tpl: '{% if value_json.t > 3 %}hot{% else %}cold{% endif %}' }),
      { retain: true },
    );
    await bad.publishAsync('homeassistant/sensor/bad/plain/config', JSON.stringify({ name: 'Plain', stat_t: 'bad/plain', val_tpl: '{{ value_json.t }}' }), {
      retain: true,
    });

    await waitFor(
      () => logsWith(t, 'malformed JSON').some((l) => l.clientId === 'bad-device' && l.topic === 'homeassistant/sensor/bad/json/config'),
      'the malformed JSON log',
    );
    await waitFor(
      () => logsWith(t, 'unknown component').some((l) => l.clientId === 'bad-device' && l.topic === 'homeassistant/teleporter/bad/beam/config'),
      'the unknown component log',
    );
    await waitFor(
      () => logsWith(t, 'invalid config').some((l) => l.clientId === 'bad-device' && l.topic === 'homeassistant/switch/bad/wild/config'),
      'the invalid config log',
    );
    const fancy = await waitFor(() => entity(t, 'sensor.fancy'), 'the fancy sensor');
    expect(fancy.warning).toMatch(/cannot be evaluated/);
    expect(logsWith(t, 'template cannot be evaluated').some((l) => l.clientId === 'bad-device' && l.topic === 'homeassistant/sensor/bad/jinja/config')).toBe(
      true,
    );

    // A payload that is not JSON for a value_json template: a warning, no crash; a good one clears it.
    await bad.publishAsync('bad/plain', 'not json');
    await waitFor(() => entity(t, 'sensor.plain')?.warning?.includes('not JSON'), 'a runtime warning');
    await bad.publishAsync('bad/plain', JSON.stringify({ t: 5 }));
    await waitFor(() => entity(t, 'sensor.plain')?.state === '5' && entity(t, 'sensor.plain')?.warning === null, 'the warning to clear');
    expect(registryOf(t).get('sensor.x')).toBeUndefined();
  });
});

describe('MQTT adapter: command payloads', () => {
  it("publishes each component's command as HA does (cover, alarm with code, climate, fan, button, JSON-less light)", async () => {
    const t = await hub();
    const dev = await client(t, { clientId: 'multi' });
    const configs: Record<string, Record<string, unknown>> = {
      'cover/multi/gate': {
        name: 'Drive gate',
        cmd_t: 'multi/gate/set',
        stat_t: 'multi/gate/state',
        set_pos_t: 'multi/gate/pos',
        pl_open: 'OPEN_IT',
        uniq_id: 'gate',
      },
      'alarm_control_panel/multi/panel': {
        name: 'Panel',
        cmd_t: 'multi/panel/set',
        stat_t: 'multi/panel/state',
        code: 'REMOTE_CODE',
        cmd_tpl: '{"action":"{{ action }}","code":"{{ code }}"}',
        uniq_id: 'panel',
      },
      'climate/multi/heat': { name: 'Hall heat', mode_cmd_t: 'multi/heat/mode', temp_cmd_t: 'multi/heat/temp', modes: ['off', 'heat'], uniq_id: 'heat' },
      'fan/multi/fan': { name: 'Loft fan', cmd_t: 'multi/fan/set', pct_cmd_t: 'multi/fan/pct', spd_rng_min: 1, spd_rng_max: 4, uniq_id: 'fan' },
      'button/multi/bell': { name: 'Bell test', cmd_t: 'multi/bell/press', uniq_id: 'bell' },
      'light/multi/lamp': { name: 'Desk lamp', cmd_t: 'multi/lamp/set', bri_cmd_t: 'multi/lamp/bri', uniq_id: 'lamp' },
    };
    for (const [k, c] of Object.entries(configs)) await dev.publishAsync(`homeassistant/${k}/config`, JSON.stringify(c));
    await waitFor(() => registryOf(t).list({ source: 'mqtt' }).length === 6, 'six entities');
    await dev.subscribeAsync('multi/#');
    const seen: [string, string][] = [];
    dev.on('message', (topic, p) => seen.push([topic, p.toString()]));
    const a = mqttAdapterOf(t);
    const run = (id: string, op: string, params: Record<string, unknown> = {}) => a.execute(entity(t, id)!, op, params);
    await run('cover.drive_gate', 'open_cover');
    await run('cover.drive_gate', 'set_cover_position', { position: 40 });
    await run('alarm_control_panel.panel', 'alarm_arm_away', { code: '1234' });
    await expect(run('alarm_control_panel.panel', 'alarm_disarm')).rejects.toMatchObject({ code: 'CODE_REQUIRED' });
    await run('climate.hall_heat', 'set_temperature', { temperature: 19.5 });
    await run('climate.hall_heat', 'set_hvac_mode', { hvac_mode: 'off' });
    await expect(run('climate.hall_heat', 'set_hvac_mode', { hvac_mode: 'cool' })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    await run('fan.loft_fan', 'set_percentage', { percentage: 50 });
    await run('button.bell_test', 'press');
    await run('light.desk_lamp', 'turn_on', { brightness: 51 });
    await expect(run('light.desk_lamp', 'unlock')).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
    await waitFor(() => seen.length >= 9, 'nine commands');
    expect(seen).toEqual([
      ['multi/gate/set', 'OPEN_IT'],
      ['multi/gate/pos', '40'],
      ['multi/panel/set', '{"action":"ARM_AWAY","code":"1234"}'],
      ['multi/heat/temp', '19.5'],
      ['multi/heat/mode', 'off'],
      ['multi/fan/pct', '2'],
      ['multi/bell/press', 'PRESS'],
      ['multi/lamp/set', 'ON'],
      ['multi/lamp/bri', '51'],
    ]);
    // No state topic: optimistic, as in HA.
    expect(entity(t, 'light.desk_lamp')!.state).toBe('on');
    expect(entity(t, 'climate.hall_heat')!.state).toBe('off');
  });
});
