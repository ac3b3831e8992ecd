import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { runCli, startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import type { Relay } from '../../src/relay/index.js';
import { linkSettings, relaySettings, startRelay, tmp } from '../link/helpers.js';

const PASS = 'a long backup passphrase for the relay copy';

/** Needs `npm run build`: the restore runs `hearth backup restore --from-relay` as a process. */
describe("the relay's copy of a backup, restored after the data directory is gone", () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  let relay: Relay;
  let t: TestHub | undefined;
  const users = { relay: 'relay-pw-bk', 'hub-b': 'hub-b-pw-bk' };

  beforeAll(async () => {
    dir = tmp('hearth-relay-backup-');
    pki = makePki(join(dir, 'pki'));
    broker = await Mosquitto.start({ dir: join(dir, 'broker'), pki, users });
    relay = await startRelay(
      relaySettings(broker, pki, users.relay, {
        instance_id: 'bk',
        state_file: join(dir, 'relay.db'),
        backups_keep: 2,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await relay?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes to the relay in pieces, keeps the last N, and comes back with the passphrase alone; the trail verifies', async () => {
    const dataDir = join(dir, 'data');
    // 4 KiB pieces: the backup of a fresh hub is larger, so it travels in several.
    t = await startTestHub({ dataDir, settings: { link: linkSettings(broker, pki, 'hub-b', users['hub-b'], { backup_chunk_kb: 4 }) } });
    const owner = await setupOwner(t);
    expect((await api(t, 'PUT', '/backups/passphrase', { cookie: owner, body: { passphrase: PASS } })).status).toBe(204);
    await waitFor(() => relay.broker.hub('hub-b')?.online, 'hub online at the relay');
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.hub.ctx.audit.append({ actor: 'test', origin: 'system', kind: 'test.before_backup', data: { i } });
      const made = await api(t, 'POST', '/backups', { cookie: owner });
      expect(made.status).toBe(201);
      names.push(made.body.name as string);
      const copies = () => relay.broker.store.db.query<{ name: string; bytes: number }>('SELECT name, bytes FROM backup_copies WHERE hub_id = $1', ['hub-b']);
      await waitFor(async () => (await copies()).some((c) => c.name === made.body.name), `copy ${i} at the relay`);
      expect(made.body.bytes).toBeGreaterThan(3 * 4 * 1024);
    }
    const kept = await relay.broker.store.db.query<{ name: string }>('SELECT name FROM backup_copies WHERE hub_id = $1 ORDER BY stored_at', ['hub-b']);
    expect(kept.map((k) => k.name)).toEqual(names.slice(1)); // relay.backups_keep = 2
    expect(await relay.broker.store.db.one('SELECT COUNT(*) AS n FROM backup_chunks')).toEqual({ n: 0 });
    const entries = t.hub.ctx.audit.count();

    // The SD card dies.
    await t.stop();
    t = undefined;
    rmSync(dataDir, { recursive: true, force: true });

    const args = ['backup', 'restore', '--from-relay', relay.url, '--hub', 'hub-b', '--ca', pki.caCert, '--data', dataDir];
    const wrong = await runCli(args, { env: { HEARTH_BACKUP_PASSPHRASE: 'not the passphrase at all' }, timeoutMs: 60_000 });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/wrong hub id or passphrase/);
    expect(existsSync(join(dataDir, 'hearth.db'))).toBe(false);

    const res = await runCli(args, { env: { HEARTH_BACKUP_PASSPHRASE: PASS }, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`restored ${names[2]}`);
    const verify = await runCli(['audit', 'verify', '--data', dataDir], { timeoutMs: 60_000 });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // The backup holds the trail up to itself (its own backup.created entry included), plus the restore's entry.
    expect(Number(/(\d+)/.exec(verify.stdout)?.[1])).toBeGreaterThanOrEqual(entries - 1);
  }, 180_000);
});
