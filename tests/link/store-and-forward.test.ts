import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';
import { Store } from '../../src/store/database.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { allTables } from '../../src/hub/parts.js';
import { Outbox } from '../../src/link/outbox.js';
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
    const seqs: number[] = [];
    const ids: string[] = [];
    subscriber.on('message', (_topic, payload) => {
      const msg = upMessageSchema.parse(JSON.parse(payload.toString()));
      ids.push(msg.id);
      if (msg.class === 'audit') seqs.push(msg.data.seq as number);
    });
    await subscriber.subscribeAsync('hearth/v1/hub-s/up/events', { qos: 1 });

    hub = await spawnHub([], { env: env() });
    await waitFor(() => seqs.length >= 1, 'the first audit entry upstream');

    await broker.stop();

    // 500 audited things while the broker is down: a second writer on the hub's database (as the
    // CLI is), with the link's outbox hook in the append's transaction. The hub is killed halfway.
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    const audit = new AuditTrail(store.db, systemClock);
    const outbox = new Outbox({ db: store.db, hubId: 'hub-s', maxRows: 100_000, clock: systemClock });
    audit.onAppendInTransaction((entry) => outbox.onAuditAppended(entry));
    for (let i = 0; i < 500; i++) {
      audit.append({ actor: 'test', origin: 'cli', kind: 'test.thing', subject: `thing-${i}`, data: { i } });
      if (i === 249) {
        hub.child.kill('SIGKILL');
        await hub.exited;
      }
    }
    store.close();

    hub = await spawnHub([], { env: env() }); // starts with the broker still down
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
    expect(head).toBeGreaterThanOrEqual(502);
    await waitFor(() => seqs.length >= head, `all ${head} audit entries upstream`, 60_000).catch((err: Error) => {
      throw new Error(`${err.message} (got ${seqs.length})\nhub:\n${hub?.output().slice(-3000)}\nbroker:\n${broker.output().slice(-3000)}`);
    });
    expect(seqs.slice(0, head)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(new Set(ids).size).toBe(ids.length); // no message arrived twice
    hub.child.kill('SIGTERM');
    await hub.exited;
  }, 120_000);
});
