import { describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers/hub.js';
import { makePki } from '../helpers/mosquitto.js';
import { api, setupOwner } from '../members/helpers.js';
import { hubKit, brokerOf, closed, connect, createDeviceLogin, logsWith, mosquitto, sleep, waitFor } from './helpers.js';

const { hub, stop } = hubKit();

describe('LAN broker: logins', () => {
  it('refuses anonymous clients by default, accepts a created login, refuses a wrong password', async () => {
    const t = await hub();
    const port = String(brokerOf(t).port);
    const anon = await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', 'sensors/x', '-m', '1', '-i', 'anon-1']);
    expect(anon.code).not.toBe(0);
    expect(logsWith(t, 'anonymous clients are not allowed').some((l) => l.clientId === 'anon-1')).toBe(true);

    const cookie = await setupOwner(t);
    const password = await createDeviceLogin(t, cookie, 'plug-1');
    const list = await api(t, 'GET', '/devices/credentials', { cookie });
    expect(list.body.credentials.map((c: { username: string }) => c.username)).toEqual(['plug-1']);
    expect(JSON.stringify(list.body)).not.toContain(password);

    const ok = await mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-u',
      'plug-1',
      '-P',
      password,
      '-t',
      'plug/1/state',
      '-m',
      'ON',
      '-i',
      'plug-1',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = await mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-u',
      'plug-1',
      '-P',
      'not-it',
      '-t',
      'plug/1/state',
      '-m',
      'ON',
      '-i',
      'plug-bad',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(logsWith(t, 'bad username or password').some((l) => l.clientId === 'plug-bad' && l.username === 'plug-1')).toBe(true);
    expect(t.logs.raw.join('\n')).not.toContain(password);

    const del = await api(t, 'DELETE', '/devices/credentials/plug-1', { cookie });
    expect(del.status).toBe(204);
    const after = await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', 'plug-1', '-P', password, '-t', 'plug/1/state', '-m', 'ON']);
    expect(after.code).not.toBe(0);
    const kinds = t.hub.ctx.audit.list({ kind: 'device_credential.*' }).entries.map((e) => e.kind);
    expect(kinds).toEqual(['device_credential.deleted', 'device_credential.created']);
  });

  it('deleting a login disconnects the devices connected with it, and only those', async () => {
    const t = await hub();
    const cookie = await setupOwner(t);
    const gone = await createDeviceLogin(t, cookie, 'plug-2');
    const kept = await createDeviceLogin(t, cookie, 'plug-3');
    const a = await connect(t, { username: 'plug-2', password: gone, clientId: 'plug-2a' });
    const b = await connect(t, { username: 'plug-2', password: gone, clientId: 'plug-2b' });
    const other = await connect(t, { username: 'plug-3', password: kept, clientId: 'plug-3' });
    try {
      const aClosed = closed(a);
      const bClosed = closed(b);
      expect((await api(t, 'DELETE', '/devices/credentials/plug-2', { cookie })).status).toBe(204);
      await Promise.all([aClosed, bClosed]);
      await sleep(100);
      expect(other.connected).toBe(true);
    } finally {
      for (const c of [a, b, other]) c.end(true);
    }
  });

  it('lets only the owner manage device logins', async () => {
    const t = await hub();
    expect((await api(t, 'GET', '/devices/credentials')).status).toBe(401);
    const cookie = await setupOwner(t);
    expect((await api(t, 'POST', '/devices/credentials', { cookie, body: { username: 'bad name!' } })).status).toBe(400);
    await createDeviceLogin(t, cookie, 'dup');
    expect((await api(t, 'POST', '/devices/credentials', { cookie, body: { username: 'dup' } })).status).toBe(409);
    expect((await api(t, 'DELETE', '/devices/credentials/nobody', { cookie })).status).toBe(404);
  });
});

describe('LAN broker: bad input', () => {
  it('refuses each bad input with a log line naming client and topic, and keeps serving others', async () => {
    const t = await hub({ allow_anonymous: true, max_packet_bytes: 4096, max_topic_levels: 16, messages_per_second: 5, message_burst: 20 });
    const watcher = await connect(t, { clientId: 'watcher' });
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('ok/#');

    // A device may not publish to hearth/…: refused and disconnected (MQTT 3.1.1 has no negative ack).
    const spoof = await connect(t, { clientId: 'spoofer' });
    const spoofClosed = closed(spoof);
    spoof.publish('hearth/demo/front_door/state', 'UNLOCKED');
    expect(await spoofClosed).toBe('closed');
    expect(logsWith(t, 'reserved for the hub').some((l) => l.clientId === 'spoofer' && l.topic === 'hearth/demo/front_door/state')).toBe(true);

    // Oversized: the guard disconnects on the fixed header, before the body is buffered.
    const big = await connect(t, { clientId: 'big' });
    const bigClosed = closed(big);
    big.publish('ok/big', Buffer.alloc(100_000, 1));
    expect(await bigClosed).toBe('closed');
    expect(
      logsWith(t, 'larger than mqtt.max_packet_bytes').some((l) => l.clientId === 'big' && typeof l.bytes === 'number' && (l.bytes as number) > 100_000),
    ).toBe(true);

    // 1,000 topic levels.
    const deep = await connect(t, { clientId: 'deep' });
    const deepClosed = closed(deep);
    deep.publish(`ok/${Array.from({ length: 999 }, () => 'a').join('/')}`, 'x');
    expect(await deepClosed).toBe('closed');
    expect(logsWith(t, 'more levels than mqtt.max_topic_levels').some((l) => l.clientId === 'deep' && String(l.topic).startsWith('ok/a/a'))).toBe(true);

    // Invalid UTF-8 in a topic, written as raw bytes (mqtt.js would refuse to encode it).
    await rawInvalidUtf8(brokerOf(t).port);
    await waitFor(() => logsWith(t, 'not valid UTF-8').some((l) => l.clientId === 'raw-utf8'), 'the UTF-8 refusal');

    // A flood from one client: disconnected once its bucket is empty.
    const flood = await connect(t, { clientId: 'flooder' });
    const floodClosed = closed(flood);
    for (let i = 0; i < 200 && flood.connected; i++) flood.publish('ok/flood', String(i));
    expect(await floodClosed).toBe('closed');
    expect(logsWith(t, 'message rate over').some((l) => l.clientId === 'flooder' && l.topic === 'ok/flood')).toBe(true);

    // Subscribing to the hub's own topics is refused (SUBACK 128), the connection stays.
    const nosy = await connect(t, { clientId: 'nosy' });
    await expect(nosy.subscribeAsync(['hearth/#', '$SYS/#'])).rejects.toThrow(/Subscribe error/);
    expect(logsWith(t, 'subscribe refused').some((l) => l.clientId === 'nosy' && l.topic === 'hearth/#')).toBe(true);
    expect(nosy.connected).toBe(true);
    await nosy.endAsync();

    // Everyone else is still served.
    const good = await connect(t, { clientId: 'good' });
    await good.publishAsync('ok/still-working', 'yes');
    await waitFor(() => seen.includes('ok/still-working'), 'the watcher to get a message after the bad inputs');
    expect(watcher.connected).toBe(true);
    await good.endAsync();
    await watcher.endAsync();
  });

  it('limits connections', async () => {
    const t = await hub({ allow_anonymous: true, max_connections: 2 });
    const a = await connect(t, { clientId: 'a' });
    const b = await connect(t, { clientId: 'b' });
    await expect(connect(t, { clientId: 'c' })).rejects.toThrow();
    expect(logsWith(t, 'mqtt.max_connections reached').length).toBeGreaterThan(0);
    await a.endAsync();
    await waitFor(() => brokerOf(t).connectionCount === 1, 'a to leave');
    const c = await connect(t, { clientId: 'c' });
    expect(c.connected).toBe(true);
    await b.endAsync();
    await c.endAsync();
  });
});

describe('LAN broker: TLS listener', () => {
  it('serves devices over TLS with the same logins; an untrusting client refuses the certificate', async () => {
    const pki = makePki(join(tempDir(), 'pki'));
    const t = await hub({ tls_port: 0, tls_cert: pki.serverCert, tls_key: pki.serverKey });
    const tlsPort = String(brokerOf(t).tlsPort);
    expect(brokerOf(t).health().detail).toContain(`TLS on ${tlsPort}`);
    const cookie = await setupOwner(t);
    const password = await createDeviceLogin(t, cookie, 'tls-plug');
    const sub = mosquitto('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      tlsPort,
      '--cafile',
      pki.caCert,
      '-u',
      'tls-plug',
      '-P',
      password,
      '-t',
      'tls/test',
      '-C',
      '1',
      '-W',
      '8',
    ]);
    await waitFor(() => brokerOf(t).clientCount === 1, 'the TLS subscriber');
    const pub = await mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      tlsPort,
      '--cafile',
      pki.caCert,
      '-u',
      'tls-plug',
      '-P',
      password,
      '-t',
      'tls/test',
      '-m',
      'over tls',
    ]);
    expect(pub.code, pub.stderr).toBe(0);
    expect((await sub).stdout.trim()).toBe('over tls');
    const rogue = await mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      tlsPort,
      '--cafile',
      pki.rogueCaCert,
      '-u',
      'tls-plug',
      '-P',
      password,
      '-t',
      'tls/test',
      '-m',
      'x',
    ]);
    expect(rogue.code).not.toBe(0);
  });
});

describe('LAN broker: persistence', () => {
  it('keeps retained messages and persistent sessions across a hub restart', async () => {
    const dir = tempDir();
    const t1 = await hub({ allow_anonymous: true }, dir);
    const port1 = String(brokerOf(t1).port);
    const pub = await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port1, '-t', 'garden/temp', '-m', '12.5', '-r']);
    expect(pub.code, pub.stderr).toBe(0);
    const sess = await connect(t1, { clientId: 'sleepy', clean: false });
    await sess.subscribeAsync('garden/#', { qos: 1 });
    await sess.endAsync();
    // Sent while the session is offline, before the restart: queued, and kept on disk.
    const offline = await connect(t1, { clientId: 'sender' });
    await offline.publishAsync('garden/frost', 'tonight', { qos: 1 });
    await offline.endAsync();
    await stop(t1);

    const t2 = await hub({ allow_anonymous: true }, dir);
    const port2 = String(brokerOf(t2).port);
    const sub = await mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', port2, '-t', 'garden/temp', '-C', '1', '-W', '5']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stdout.trim()).toBe('12.5');

    // The persistent session's subscription came back: it gets messages without subscribing again.
    const received: string[] = [];
    const again = await connect(t2, { clientId: 'sleepy', clean: false });
    expect(again.connected).toBe(true);
    again.on('message', (topic, payload) => received.push(`${topic}=${payload.toString()}`));
    const got = new Promise<string>((res) => again.on('message', (topic, payload) => topic === 'garden/rain' && res(payload.toString())));
    const other = await connect(t2, { clientId: 'other' });
    await other.publishAsync('garden/rain', 'yes', { qos: 1 });
    expect(await got).toBe('yes');
    expect(received).toContain('garden/frost=tonight');
    await again.endAsync();
    await other.endAsync();
    await sleep(10);
  });
});

/** CONNECT, then a PUBLISH whose topic holds the bytes 0xC3 0x28 (not UTF-8). */
function rawInvalidUtf8(port: number): Promise<void> {
  return new Promise((resolve) => {
    const sock = netConnect(port, '127.0.0.1');
    const id = Buffer.from('raw-utf8');
    const vh = Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, 2, 0, 30]), Buffer.from([0, id.length]), id]);
    const connectPkt = Buffer.concat([Buffer.from([0x10, vh.length]), vh]);
    const topic = Buffer.from([0x6f, 0x6b, 0x2f, 0xc3, 0x28]);
    const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from('x')]);
    const publishPkt = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    sock.on('data', () => sock.write(publishPkt)); // after CONNACK
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
    sock.write(connectPkt);
  });
}
