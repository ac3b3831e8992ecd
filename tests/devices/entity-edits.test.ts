import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/hub.js';
import { api, login, OWNER, setupOwner } from '../members/helpers.js';
import { connect, createDeviceLogin, hubKit, registryOf, waitFor } from './helpers.js';

const { hub, stop, clients } = hubKit();

const plug = {
  name: 'Plug 4',
  uniq_id: 'zb_0x00158d0001_plug',
  cmd_t: 'zigbee2mqtt/plug_4/set',
  stat_t: 'zigbee2mqtt/plug_4',
  val_tpl: '{{ value_json.state }}',
  dev: { ids: ['0x00158d0001'], name: 'Plug 4', mf: 'IKEA', mdl: 'E1603' },
};

/**
 * The owner's edits to a device (its name, room, hidden from Home) through PATCH
 * /entities/:id: kept when the device announces itself again with its own name, and after a
 * restart of the hub on the same data.
 */
describe('entity edits: rename, room, hide', () => {
  it('renames, rooms and hides a discovered plug, and keeps it across re-discovery and a restart', async () => {
    const dataDir = tempDir();
    let t = await hub({}, dataDir);
    const cookie = await setupOwner(t);
    const password = await createDeviceLogin(t, cookie, 'z2m');
    const device = await connect(t, { username: 'z2m', password, clientId: 'z2m-bridge' });
    clients.push(device);
    await device.publishAsync('homeassistant/switch/0x00158d0001/switch/config', JSON.stringify(plug), { retain: true });
    await waitFor(() => registryOf(t).get('switch.plug_4'), 'the plug to be discovered');

    const renamed = await api(t, 'PATCH', '/entities/switch.plug_4', { cookie, body: { name: 'Kettle', area: 'Kitchen', hidden: true } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: 'switch.plug_4', name: 'Kettle', source_name: 'Plug 4', area: 'Kitchen', hidden: true });

    // The device announces itself again, with its own name: the owner's edits stay.
    await device.publishAsync('homeassistant/switch/0x00158d0001/switch/config', JSON.stringify({ ...plug, icon: 'mdi:kettle' }), { retain: true });
    await waitFor(
      () =>
        registryOf(t).get('switch.plug_4')?.attributes.icon === 'mdi:kettle' || registryOf(t).get('switch.plug_4')?.last_updated !== renamed.body.last_updated,
      'the re-announcement',
    );
    expect(registryOf(t).get('switch.plug_4')).toMatchObject({ name: 'Kettle', area: 'Kitchen', hidden: true });

    // Bad input is a 400 in words, not a crash.
    const bad = await api(t, 'PATCH', '/entities/switch.plug_4', { cookie, body: { name: '', hidden: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBeTruthy();

    // After a restart on the same data, the retained config brings it back with the edits.
    device.end(true);
    await stop(t);
    t = await hub({}, dataDir);
    const back = await waitFor(() => registryOf(t).get('switch.plug_4'), 'the plug after a restart');
    expect(back).toMatchObject({ name: 'Kettle', source_name: 'Plug 4', area: 'Kitchen', hidden: true });

    // Back to the source's name, shown on Home again.
    const c2 = await login(t, OWNER.username, OWNER.password);
    const reset = await api(t, 'PATCH', '/entities/switch.plug_4', { cookie: c2, body: { name: null, hidden: false } });
    expect(reset.status).toBe(200);
    expect(reset.body.name).toBe('Plug 4');
    expect(reset.body.source_name).toBeUndefined();
    expect(reset.body.hidden).toBeUndefined();
    expect(reset.body.area).toBe('Kitchen');
  }, 60_000);
});
