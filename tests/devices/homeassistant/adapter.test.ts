import { describe, expect, it } from 'vitest';
import { HearthError } from '../../../src/core/errors.js';
import { AUTH_INVALID_DETAIL, type HomeAssistantAdapter } from '../../../src/devices/homeassistant/adapter.js';
import { HOME, TOKEN, adapterTestKit, waitFor } from './helpers.js';

const { fakeHa, rig } = adapterTestKit();

const connected = (adapter: HomeAssistantAdapter) => adapter.health().status === 'ok';

describe('Home Assistant adapter: states', () => {
  it('maps HA entities into the registry and says so in health', async () => {
    const fake = await fakeHa({ states: [...HOME, { entity_id: 'sensor.Bad-Id', state: '1' }] });
    const { adapter, registry, logs } = rig(fake.url);
    adapter.start();
    await waitFor(() => connected(adapter), 'connected');

    const light = registry.get('light.kitchen')!;
    expect(light).toMatchObject({ name: 'Kitchen Light', domain: 'light', state: 'on', source: 'homeassistant', available: true });
    expect(light.attributes).toMatchObject({ brightness: 180, supported_color_modes: ['brightness'] });
    expect(registry.get('input_boolean.guest_mode')).toMatchObject({ domain: 'other', name: 'Guest Mode', state: 'off' });
    expect(registry.get('switch.porch')).toMatchObject({ state: 'unavailable', available: false });
    expect(registry.get('binary_sensor.hall_motion')).toMatchObject({ name: 'hall motion', domain: 'binary_sensor' });
    expect(registry.get('sensor.Bad-Id')).toBeUndefined();
    expect(registry.list({ source: 'homeassistant' })).toHaveLength(HOME.length);

    const health = adapter.health();
    expect(health.detail).toContain('connected to Home Assistant 2025.1.2');
    expect(health.detail).toContain(`${HOME.length} entities`);
    // The library's protocol as HA documents it: features first, then subscribe and load.
    expect(fake.commands.map((c) => c.type)).toEqual([
      'supported_features',
      'subscribe_events',
      'subscribe_events',
      'get_config',
      'config/entity_registry/list',
      'config/device_registry/list',
      'get_states',
    ]);
    // Device information from HA's registries.
    expect(light.device).toMatchObject({ name: 'Kitchen pendant', manufacturer: 'Signify Netherlands B.V.', model: 'LWA001' });
    expect(registry.get('sensor.front_door_battery')?.device).toEqual(registry.get('lock.front_door')?.device);
    expect(registry.get('lock.front_door')?.device).toMatchObject({ name: 'Front Door Lock', manufacturer: 'Yale' });
    expect(registry.get('sensor.living_room_temperature')?.device).toBeNull();
    expect(logs.text).not.toContain(TOKEN);
  });

  it('works without device information when the registries are refused', async () => {
    const fake = await fakeHa();
    fake.registriesForbidden = true;
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => adapter.health().status === 'ok', 'connected');
    expect(registry.list({ source: 'homeassistant' })).toHaveLength(HOME.length);
    expect(registry.get('light.kitchen')?.device).toBeNull();
  });

  it('follows state_changed events: changes, new entities, removals', async () => {
    const fake = await fakeHa();
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => connected(adapter), 'connected');

    fake.setState('sensor.living_room_temperature', '22.0', { friendly_name: 'Living Room Temperature', unit_of_measurement: '°C' });
    await waitFor(() => registry.get('sensor.living_room_temperature')?.state === '22.0', 'temperature change');

    fake.setState('cover.garage_door', 'closed', { friendly_name: 'Garage Door', device_class: 'garage' });
    await waitFor(() => registry.get('cover.garage_door'), 'new entity');
    expect(registry.get('cover.garage_door')).toMatchObject({ name: 'Garage Door', domain: 'cover', state: 'closed' });

    fake.setState('light.kitchen', 'unavailable');
    await waitFor(() => registry.get('light.kitchen')?.available === false, 'light unavailable');

    fake.removeEntity('lock.front_door');
    await waitFor(() => !registry.get('lock.front_door'), 'lock removed');
  });

  it("keeps HA's proxy credentials out of the registry", async () => {
    const fake = await fakeHa({
      states: [
        {
          entity_id: 'camera.porch',
          state: 'idle',
          attributes: { friendly_name: 'Porch Camera', access_token: 'cam-secret-1', entity_picture: '/api/camera_proxy/camera.porch?token=cam-secret-1' },
        },
      ],
    });
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => registry.get('camera.porch'), 'camera');
    const attrs = registry.get('camera.porch')!.attributes;
    expect(attrs.access_token).toBeUndefined();
    expect(attrs.entity_picture).toBe('/api/camera_proxy/camera.porch?token=[redacted]');
    expect(JSON.stringify(registry.get('camera.porch'))).not.toContain('cam-secret-1');
  });

  it('a change HA sends right behind its get_states answer is not undone by the snapshot', async () => {
    const fake = await fakeHa();
    fake.afterGetStates = () => {
      fake.setState('light.kitchen', 'off', { friendly_name: 'Kitchen Light' });
      fake.removeEntity('switch.porch');
    };
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => adapter.health().status === 'ok', 'connected');
    await waitFor(() => registry.get('light.kitchen')?.state === 'off', 'the later change');
    expect(registry.get('switch.porch')).toBeUndefined();
    expect(registry.get('lock.front_door')?.state).toBe('locked');
  });

  it('ignores bad frames and keeps working', async () => {
    const fake = await fakeHa();
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => connected(adapter), 'connected');
    const subscription = fake.commands.find((c) => c.type === 'subscribe_events')!.id as number;

    fake.sendRaw('this is not json {');
    fake.sendRaw(JSON.stringify({ id: subscription, no_type: true }));
    fake.sendRaw(JSON.stringify({ id: subscription, type: 'event', event: { event_type: 'state_changed', data: { entity_id: 42 } } }));
    fake.sendRaw(
      JSON.stringify({
        id: subscription,
        type: 'event',
        event: { event_type: 'state_changed', data: { entity_id: 'light.kitchen', new_state: { state: 'off' } } },
      }),
    );
    fake.sendRaw(JSON.stringify([{ id: 999, type: 'result', success: true, result: null }, 'nope']));

    fake.setState('light.kitchen', 'off');
    await waitFor(() => registry.get('light.kitchen')?.state === 'off', 'change after bad frames');
    expect(adapter.health().status).toBe('ok');
  });
});

describe('Home Assistant adapter: commands', () => {
  it('execute calls the service on the entity and the state follows', async () => {
    const fake = await fakeHa();
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => connected(adapter), 'connected');

    await adapter.execute(registry.get('lock.front_door')!, 'unlock', {});
    expect(fake.calls.at(-1)).toEqual({ domain: 'lock', service: 'unlock', service_data: { entity_id: 'lock.front_door' } });
    await waitFor(() => registry.get('lock.front_door')?.state === 'unlocked', 'lock state follows');

    await adapter.execute(registry.get('light.kitchen')!, 'turn_on', { brightness: 40 });
    expect(fake.calls.at(-1)).toEqual({ domain: 'light', service: 'turn_on', service_data: { brightness: 40, entity_id: 'light.kitchen' } });
    await waitFor(() => registry.get('light.kitchen')?.attributes.brightness === 40, 'brightness follows');

    // A domain the hub does not model still calls HA's own domain (from the id).
    await adapter.execute(registry.get('input_boolean.guest_mode')!, 'turn_on', {});
    expect(fake.calls.at(-1)).toMatchObject({ domain: 'input_boolean', service: 'turn_on' });
    await waitFor(() => registry.get('input_boolean.guest_mode')?.state === 'on', 'input_boolean follows');
  });

  it('refuses params that would widen the target, and reports HA errors', async () => {
    const fake = await fakeHa();
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => connected(adapter), 'connected');
    const calls = fake.calls.length;

    for (const params of [{ entity_id: 'lock.back_door' }, { area_id: 'house' }, { device_id: 'abc' }]) {
      const err = await adapter.execute(registry.get('lock.front_door')!, 'unlock', params).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HearthError);
      expect((err as HearthError).code).toBe('BAD_PARAMS');
    }
    const bad = await adapter.execute(registry.get('light.kitchen')!, 'fly', {}).catch((e: unknown) => e);
    expect((bad as HearthError).code).toBe('HA_SERVICE_FAILED');
    expect((bad as HearthError).message).toContain('Service not found');
    expect(fake.calls.length).toBe(calls + 1); // only the unknown service reached HA
    expect(registry.get('lock.front_door')?.state).toBe('locked');

    const notOurs = { ...registry.get('light.kitchen')!, source: 'mqtt' };
    await expect(adapter.execute(notOurs, 'turn_off', {})).rejects.toMatchObject({ code: 'WRONG_ADAPTER' });
  });

  it('fails fast with HA_NOT_CONNECTED while Home Assistant is away', async () => {
    const fake = await fakeHa();
    const { adapter, registry } = rig(fake.url);
    adapter.start();
    await waitFor(() => connected(adapter), 'connected');
    const lock = registry.get('lock.front_door')!;
    await fake.stop();
    await waitFor(() => adapter.health().status === 'degraded', 'disconnected');
    await expect(adapter.execute(lock, 'unlock', {})).rejects.toMatchObject({ code: 'HA_NOT_CONNECTED', status: 503 });
  });
});
