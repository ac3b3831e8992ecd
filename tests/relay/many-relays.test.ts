import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from 'node:https';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { Postgres } from '../helpers/postgres.js';
import { RelayProcess } from '../helpers/relay.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { linkSettings, tmp } from '../link/helpers.js';
import { openDb, type Db } from '../../src/relay/db.js';
import { entryHash, GENESIS_HASH, type AuditEntry } from '../../src/audit/entry.js';

/** Needs `npm run build`: the relays run as `hearth relay` processes from dist/bundle. */
describe('two relay processes behind one mosquitto on one PostgreSQL', () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  let pgs: Postgres;
  let db: Db;
  let a: RelayProcess;
  let b: RelayProcess;
  let t: TestHub;
  const users = { relay: 'relay-pw-0123', 'hub-pg': 'hub-pg-pw-0123' };

  const relayConfig = (instance: string, url: string) => ({
    broker_url: broker.url,
    username: 'relay',
    password: users.relay,
    ca: pki.caCert,
    instance_id: instance,
    shared_group: 'pg-group',
    tls_cert: pki.serverCert,
    tls_key: pki.serverKey,
    database_url: url,
  });

  /** "N up messages handled" from a relay's health over HTTPS. */
  const handled = (r: RelayProcess): Promise<number> =>
    new Promise((resolve, reject) => {
      get(`${r.url}/relay/v1/health`, { ca: readFileSync(pki.caCert) }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(Number(/(\d+) up messages handled/.exec(text)?.[1] ?? -1)));
      }).on('error', reject);
    });

  beforeAll(async () => {
    dir = tmp('hearth-relays-pg-');
    pki = makePki(join(dir, 'pki'));
    [broker, pgs] = await Promise.all([Mosquitto.start({ dir: join(dir, 'broker'), pki, users }), Postgres.start()]);
    const url = await pgs.createDatabase('relays');
    // Both at once: the tables are made under a lock, so two relays starting together do not race.
    [a, b] = await Promise.all([
      RelayProcess.start(dir, 'relay-a', relayConfig('relay-a', url)),
      RelayProcess.start(dir, 'relay-b', relayConfig('relay-b', url)),
    ]);
    db = await openDb({ url });
    t = await startTestHub({ settings: { link: linkSettings(broker, pki, 'hub-pg', users['hub-pg']) } });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await a?.kill();
    await b?.kill();
    await db?.close();
    await broker?.stop();
    await pgs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const head = async () =>
    (await db.one<{ seq: number; broken_seq: number | null }>('SELECT seq, broken_seq FROM audit_heads WHERE hub_id = $1', ['hub-pg'])) ?? {
      seq: 0,
      broken_seq: null,
    };

  it('stores each audit entry once, in a chain that verifies, while one relay is killed and comes back', async () => {
    const audit = t.hub.ctx.audit;
    for (let i = 0; i < 150; i++) audit.append({ actor: 'test', origin: 'system', kind: 'test.many', data: { i } });
    await waitFor(async () => (await head()).seq >= 100, 'the first entries in PostgreSQL', 60_000);
    // SIGKILL mid-stream: what b had taken but not acknowledged is handed out again.
    await b.kill('SIGKILL');
    for (let i = 150; i < 300; i++) audit.append({ actor: 'test', origin: 'system', kind: 'test.many', data: { i } });
    b = await b.restart();
    const count = audit.count();
    await waitFor(async () => (await head()).seq >= count, `all ${count} entries in PostgreSQL`, 90_000);

    // The hub keeps writing its own entries (its link coming back): read up to where the copy is.
    const copied = await head();
    expect(copied.broken_seq).toBeNull();
    expect(copied.seq).toBeGreaterThanOrEqual(count);
    const upTo = copied.seq;
    const stored = await db.query<{ seq: number; entry: string }>('SELECT seq, entry FROM audit_entries WHERE hub_id = $1 AND seq <= $2 ORDER BY seq', [
      'hub-pg',
      upTo,
    ]);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: upTo }, (_, i) => i + 1)); // once each, no gap
    // Early arrivals wait for the one before; none is left waiting once the stream settles.
    await waitFor(async () => (await db.one<{ n: number }>('SELECT COUNT(*) AS n FROM audit_waiting'))!.n === 0, 'nothing left waiting', 30_000);
    // The copy verifies on its own, and is the hub's trail entry for entry.
    let prev = GENESIS_HASH;
    for (const { entry } of stored) {
      const e = JSON.parse(entry) as AuditEntry;
      const { hash, ...rest } = e;
      expect(e.prev_hash).toBe(prev);
      expect(entryHash(rest)).toBe(hash);
      prev = hash;
    }
    expect(prev).toBe(audit.get(upTo)!.hash);
    // Both relays did part of the work.
    expect(await handled(a)).toBeGreaterThan(0);
    expect(await handled(b)).toBeGreaterThan(0);
  }, 180_000);
});
