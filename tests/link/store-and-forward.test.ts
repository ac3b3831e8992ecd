import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';
import { Store } from '../../src/store/database.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { allTables } from '../../src/hub/parts.js';
import { readFileSync } from 'node:fs';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { upMessageSchema } from '../../src/link/messages.js';
import { connectClient, tmp } from './helpers.js';

describe('durable store-and-forward across a broker outage and a SIGKILL', () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  const users = { relay: 'relay-pw', 'hub-s': 's-pw' };
  let subscriber: MqttClient | undefined;
  let hub: HubProcess | undefined;
  let data: string;

  beforeAll(async () => {
    dir = tmp('hearth-saf-');
    pki = makePki(join(dir, 'pki'));
    broker = await Mosquitto.start({ dir: join(dir, 'broker'), pki, users });
    data = tempDir();
  });

  afterAll(async () => {
    subscriber?.end(true);
    hub?.child.kill('SIGKILL');
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (data) rmSync(data, { recursive: true, force: true });
  });

  const env = () => ({
    HEARTH_HUB_DATA_DIR: data,
    HEARTH_LINK_URL: broker.url,
    HEARTH_LINK_HUB_ID: 'hub-s',
    HEARTH_LINK_USERNAME: 'hub-s',
    HEARTH_LINK_PASSWORD: users['hub-s'],
    HEARTH_LINK_CA: pki.caCert,
    HEARTH_LINK_RECONNECT_MIN_MS: '200',
    HEARTH_LINK_RECONNECT_MAX_MS: '1000',
  });

  it('delivers every audit entry exactly once, in order, with no gap in seq', async () => {
    // The cloud side: the relay's credentials, a persistent session that the broker keeps (and saves) while it is down.
    subscriber = await connectClient(broker, pki, 'relay', users.relay, {
      clientId: 'cloud-archive',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 300,
    });
    // QoS 1 is at-least-once: a message the broker forwarded just before it stopped, whose PUBACK
    // never reached the hub, comes again after the reconnect. The receiver drops it by its id, as
    // the relay does; what it may never see is the same entry under a second id, or a changed copy.
    const seqs: number[] = [];
    const firstCopy = new Map<string, string>();
    const redelivered: string[] = [];
    subscriber.on('message', (_topic, payload) => {
      const text = payload.toString();
      const msg = upMessageSchema.parse(JSON.parse(text));
      const earlier = firstCopy.get(msg.id);
      if (earlier !== undefined) {
        redelivered.push(earlier === text ? msg.id : `${msg.id} (changed)`);
        return;
      }
      firstCopy.set(msg.id, text);
      if (msg.class === 'audit') seqs.push(msg.data.seq as number);
    });
    await subscriber.subscribeAsync('hearth/v1/hub-s/up/events', { qos: 1 });

    hub = await spawnHub([], { env: env() });
    await waitFor(() => seqs.length >= 1, 'the first audit entry upstream');

    const owner = await setupOwnerOf(hub.url, data);
    await broker.stop();

    // 500 audited things while the broker is down, through the hub's API (each support grant is an
    // audit entry written with its outbox row in one transaction). The hub is SIGKILLed halfway.
    for (let i = 0; i < 250; i++) await grant(hub.url, owner);
    hub.child.kill('SIGKILL');
    await hub.exited;
    // While it is down, the CLI (a second writer without the link's hook) appends too: the
    // restarted hub's catch-up must copy those in order.
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    const cli = new AuditTrail(store.db, systemClock);
    for (let i = 0; i < 20; i++) cli.append({ actor: 'cli', origin: 'cli', kind: 'test.cli', data: { i } });
    store.close();

    hub = await spawnHub([], { env: env() }); // starts with the broker still down
    for (let i = 0; i < 250; i++) await grant(hub.url, owner);
    await broker.restart();

    const readHead = () => {
      const s = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
      try {
        return new AuditTrail(s.db, systemClock).count();
      } finally {
        s.close();
      }
    };
    const head = readHead();
    expect(head).toBeGreaterThanOrEqual(520);
    await waitFor(() => seqs.length >= head, `all ${head} audit entries upstream`, 90_000).catch((err: Error) => {
      throw new Error(`${err.message} (got ${seqs.length})\nhub:\n${hub?.output().slice(-3000)}\nbroker:\n${broker.output().slice(-3000)}`);
    });
    expect(seqs.slice(0, head)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    // A redelivery is the very same message, and only what was in flight when the broker went
    // away can come twice: at most one publish window (32 by default).
    expect(redelivered.filter((r) => r.endsWith('(changed)'))).toEqual([]);
    expect(redelivered.length).toBeLessThanOrEqual(32);
    hub.child.kill('SIGTERM');
    await hub.exited;
  }, 180_000);
});

async function setupOwnerOf(url: string, dataDir: string): Promise<string> {
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const res = await fetch(`${url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ setup_code: code, username: 'owner', password: 'correct horse battery', display_name: 'Owner' }),
  });
  if (res.status !== 201) throw new Error(`setup: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hearth_session='));
  if (!cookie) throw new Error('no session cookie');
  return cookie.split(';')[0]!;
}

async function grant(url: string, cookie: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/support/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ scope: 'diagnostics', duration_minutes: 5 }),
  });
  if (res.status !== 201) throw new Error(`grant: ${res.status} ${await res.text()}`);
}
