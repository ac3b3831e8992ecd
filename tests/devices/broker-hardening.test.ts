import { ManualClock } from '../../src/core/clock.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { makePki } from '../helpers/mosquitto.js';
import { brokerOf, closed, connect, logsWith, registryOf, sleep, waitFor } from './helpers.js';

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.reverse()) await h.stop();
  hubs = [];
});
async function hub(settings: Record<string, unknown> = {}): Promise<TestHub> {
  const t = await startTestHub({ settings });
  hubs.push(t);
  return t;
}

describe('LAN broker hardening', () => {
  it("does not let a device replace or remove the demo home's discovery configs", async () => {
    const t = await hub({ hub: { demo: true }, mqtt: { port: 0, allow_anonymous: true } });
    const registry = registryOf(t);
    const lock = await waitFor(() => registry.list({ domain: 'lock' })[0], 'the demo lock');
    const configTopic = (await brokerOf(t).retained('homeassistant/lock/hearth_demo/+/config'))[0]!.topic;

    const spoof = await connect(t, { clientId: 'spoofer' });
    const spoofClosed = closed(spoof);
    spoof.publish(configTopic, JSON.stringify({ name: 'Front door', cmd_t: 'evil/lock/set', stat_t: 'evil/lock/state' }), { retain: true });
    expect(await spoofClosed).toBe('closed');
    expect(logsWith(t, 'reserved for the hub').some((l) => l.clientId === 'spoofer' && l.topic === configTopic)).toBe(true);

    const remover = await connect(t, { clientId: 'remover' });
    const removerClosed = closed(remover);
    remover.publish(configTopic, '', { retain: true });
    expect(await removerClosed).toBe('closed');

    await sleep(100);
    const cfg = JSON.parse(brokerOf(t).retainedPayload(configTopic)!.toString('utf8')) as Record<string, unknown>;
    expect(JSON.stringify(cfg)).not.toContain('evil/');
    expect(registry.get(lock.id)).toBeDefined();
  });

  it('holds a client that reconnects under a fresh client id to a rate, not a fresh burst each time', async () => {
    const t = await hub({ mqtt: { port: 0, allow_anonymous: true, messages_per_second: 5, message_burst: 20 } });
    let refused = false;
    for (let round = 0; round < 15 && !refused; round++) {
      const c = await connect(t, { clientId: `rotating-${round}` });
      const gone = closed(c);
      // One under the per-client burst each time: never over the limit of any single client id.
      for (let i = 0; i < 19 && c.connected; i++) c.publish('ok/rotating', String(i));
      refused = await Promise.race([gone.then(() => true), sleep(100).then(() => false)]);
      if (!refused) c.end(true);
    }
    expect(refused).toBe(true);
    expect(logsWith(t, 'message rate over').some((l) => String(l.clientId).startsWith('rotating-'))).toBe(true);
  });

  it('caps the topic filters one client holds', async () => {
    const t = await hub({ mqtt: { port: 0, allow_anonymous: true } });
    const c = await connect(t, { clientId: 'hoarder' });
    for (let chunk = 0; chunk < 10; chunk++) await c.subscribeAsync(Array.from({ length: 100 }, (_, i) => `h/${chunk}/${i}`));
    await expect(c.subscribeAsync('h/one-too-many')).rejects.toThrow(/Subscribe error/);
    expect(logsWith(t, 'too many subscriptions').some((l) => l.clientId === 'hoarder' && l.topic === 'h/one-too-many')).toBe(true);
    await c.unsubscribeAsync('h/0/0');
    await c.subscribeAsync('h/one-too-many');
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it('keeps the recent-message replay cache to its 5-second window, not the last 500 payloads forever', async () => {
    const t = await hub({ mqtt: { port: 0, allow_anonymous: true } });
    const broker = brokerOf(t) as unknown as { remember(topic: string, payload: Buffer): void; recent: Map<string, unknown> };
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(now);
      for (let i = 0; i < 400; i++) broker.remember(`dev/${i}/state`, Buffer.alloc(16_000));
      clock.mockReturnValue(now + 6_000);
      broker.remember('dev/late/state', Buffer.from('ON'));
      expect(broker.recent.size).toBe(1);
    } finally {
      clock.mockRestore();
    }
  });

  it('bounds TLS connections that never finish their handshake', async () => {
    const pki = makePki(join(tempDir(), 'pki'));
    const t = await hub({ mqtt: { port: 0, tls_port: 0, tls_cert: pki.serverCert, tls_key: pki.serverKey, max_connections: 3 } });
    const port = brokerOf(t).tlsPort!;
    const sockets: Socket[] = [];
    const closedCount = { n: 0 };
    for (let i = 0; i < 10; i++) {
      const s = netConnect({ port, host: '127.0.0.1' });
      s.on('error', () => {});
      s.on('close', () => closedCount.n++);
      sockets.push(s);
      await new Promise<void>((r) => s.once('connect', () => r()));
    }
    try {
      await waitFor(() => closedCount.n >= 7, 'connections beyond mqtt.max_connections to be closed', 5000);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('stops spending a password check on an address that keeps failing to log in', async () => {
    // A clock that stands still: on a loaded machine 24 scrypt checks can take long enough for
    // the limiter to refill, which is the limiter working, not failing.
    const t = await startTestHub({ settings: { mqtt: { port: 0 } }, clock: new ManualClock(Date.now()) });
    hubs.push(t);
    for (let i = 0; i < 24; i++) await expect(connect(t, { clientId: `guess-${i}`, username: 'nobody', password: `guess-${i}` })).rejects.toThrow();
    const refused = logsWith(t, 'too many failed logins');
    expect(refused.length).toBeGreaterThan(0);
    expect(logsWith(t, 'bad username or password').length).toBeLessThanOrEqual(21);
  });
});
