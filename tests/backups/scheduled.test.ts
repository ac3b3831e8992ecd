import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/core/clock.js';
import { BACKUP_MAGIC, unseal } from '../../src/core/sealed.js';
import type { BackupService } from '../../src/backups/service.js';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import { runCli, SLOW_TEST_MS } from '../cli/slow.js';

const PASS = 'a backup passphrase for the drawer';
const HOUR = 3_600_000;

describe('backups that happen by themselves', { timeout: SLOW_TEST_MS }, () => {
  let t: TestHub | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.stop();
    t = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('daily at the home hour with a manual clock, kept N, copied to the stick, caught up on start, amber when stale; restore brings it all back verified', async () => {
    const root = tempDir('hearth-bk-');
    dirs.push(root);
    const data = join(root, 'data');
    const usb = join(root, 'usb');
    mkdirSync(usb);
    // 01:00 UTC is 02:00 in Paris (winter): the 03:00 local backup is due at 02:00 UTC.
    const clock = new ManualClock(Date.parse('2026-03-10T01:00:00Z'));
    const settings = { hub: { timezone: 'Europe/Paris' }, backups: { hour: 3, keep: 2, copy_to: usb } };
    t = await startTestHub({ dataDir: data, clock, settings });
    const service = () => t!.hub.services.get<BackupService>('backups')!;
    const health = () => t!.hub.services.health().backups!;
    const owner = await setupOwner(t);

    expect(health().status).toBe('disabled');
    expect(health().detail).toContain('No backup passphrase is set');
    const early = await api(t, 'POST', '/backups', { cookie: owner });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('BACKUP_NO_PASSPHRASE');
    expect((await api(t, 'PUT', '/backups/passphrase', { cookie: owner, body: { passphrase: 'short' } })).status).toBe(400);
    expect((await api(t, 'PUT', '/backups/passphrase', { cookie: owner, body: { passphrase: PASS } })).status).toBe(204);

    // Only a sealed derived key is stored: the passphrase is nowhere in the database files.
    const key = t.hub.ctx.store.db.prepare('SELECT sealed_key FROM backup_key').get() as { sealed_key: string };
    expect(key.sealed_key.startsWith('sealed:v1:')).toBe(true);
    for (const f of readdirSync(data).filter((n) => n.startsWith('hearth.db'))) expect(readFileSync(join(data, f)).includes(Buffer.from(PASS))).toBe(false);

    let status = (await api(t, 'GET', '/backups', { cookie: owner })).body;
    expect(status.next_due).toBe('2026-03-10T02:00:00.000Z');
    expect(status.last_good).toBeNull();
    expect(status.restore).toContain('hearth backup restore');

    const local = () =>
      readdirSync(join(data, 'backups'))
        .filter((n) => n.endsWith('.hbk'))
        .sort();
    await service().tick();
    expect(readdirSync(data)).not.toContain('backups'); // not due yet

    clock.advance(HOUR); // 03:00 in Paris
    await service().tick();
    expect(local()).toEqual(['hearth-20260310-020000.hbk']);
    expect(readdirSync(usb)).toEqual(['hearth-20260310-020000.hbk']);
    expect(health().status).toBe('ok');
    status = (await api(t, 'GET', '/backups', { cookie: owner })).body;
    expect(status.next_due).toBe('2026-03-11T02:00:00.000Z');
    expect(status.last_good.file).toBe('hearth-20260310-020000.hbk');

    // The file opens with the passphrase alone and holds the trail, the backup's own entry included.
    const plain = await unseal(readFileSync(join(data, 'backups', local()[0]!)), PASS, BACKUP_MAGIC, 'backup');
    expect(plain.subarray(0, 15).toString()).toBe('SQLite format 3');

    // A workflow, a setting with a secret and a policy, then two more days: only the last two are kept, here and on the stick.
    const porch =
      'name: Porch light at the back door\ntriggers:\n  - state: binary_sensor.back_door\n    to: "on"\nsteps:\n  - action: {entity_id: light.porch, operation: turn_on}\n';
    const wf = await api(t, 'POST', '/workflows', { cookie: owner, body: { source: porch } });
    expect(wf.status).toBe(201);
    t.hub.ctx.settings.update({ hub: { name: 'Rose Cottage' }, homeassistant: { token: 'ha-token-secret-123' }, policy: { windows: [] } }, 'test');
    clock.advance(24 * HOUR);
    await service().tick();
    clock.advance(24 * HOUR);
    await service().tick();
    expect(local()).toEqual(['hearth-20260311-020000.hbk', 'hearth-20260312-020000.hbk']);
    expect(readdirSync(usb).sort()).toEqual(local());

    // Back up now, and download.
    const now = await api(t, 'POST', '/backups', { cookie: owner });
    expect(now.status).toBe(201);
    const listed = (await api(t, 'GET', '/backups', { cookie: owner })).body;
    expect(listed.files.map((f: { name: string }) => f.name)).toEqual([now.body.name, 'hearth-20260312-020000.hbk']);
    expect(listed.files.every((f: { copied: boolean }) => f.copied)).toBe(true);
    const download = await fetch(`${t.url}/api/v1/backups/files/${now.body.name}`, { headers: { cookie: owner } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(readFileSync(join(data, 'backups', now.body.name)))).toBe(true);
    expect((await api(t, 'GET', '/backups/files/..%2Fhearth.db', { cookie: owner })).status).toBe(404);

    // Two days and more without a good backup: amber.
    clock.advance(2 * 24 * HOUR + HOUR);
    expect(health().status).toBe('degraded');
    expect(health().detail).toMatch(/^The last good backup is 2 days old/);

    // The hub was off at the hour: it catches up on start.
    await t.stop();
    t = await startTestHub({ dataDir: data, clock, settings });
    await expect.poll(() => local().length, { timeout: 30_000 }).toBe(2);
    await expect.poll(() => health().status, { timeout: 30_000 }).toBe('ok');
    const latest = local().at(-1)!;
    expect(latest).toBe('hearth-20260314-030000.hbk');
    await t.stop();
    t = undefined;

    // Restore onto a fresh data directory, then verify the trail there.
    const fresh = join(root, 'fresh');
    const env = { HEARTH_BACKUP_PASSPHRASE: PASS };
    const restored = await runCli(['backup', 'restore', join(data, 'backups', latest), '--data', fresh], { cwd: root, env });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const verified = await runCli(['audit', 'verify', '--data', fresh], { cwd: root });
    expect(verified.code).toBe(0);
    const db = new Database(join(fresh, 'hearth.db'), { readonly: true });
    try {
      const members = db.prepare('SELECT username FROM members').all() as { username: string }[];
      expect(members.map((m) => m.username)).toContain('alice');
      const doc = (db.prepare('SELECT doc FROM settings_overrides').get() as { doc: string }).doc;
      expect(JSON.parse(doc).hub.name).toBe('Rose Cottage');
      expect(JSON.parse(doc).policy.windows).toEqual([]);
      expect(doc).not.toContain('ha-token-secret-123'); // sealed again with the new box's key
      expect(db.prepare('SELECT name FROM workflows').all()).toContainEqual({ name: 'Porch light at the back door' });
      const kinds = (db.prepare('SELECT kind FROM audit ORDER BY seq').all() as { kind: string }[]).map((r) => r.kind);
      expect(kinds.filter((k) => k === 'backup.created').length).toBeGreaterThanOrEqual(4);
      expect(kinds).toContain('backup.passphrase_set');
      expect(kinds.at(-1)).toBe('backup.restored');
      expect(db.prepare('SELECT COUNT(*) AS n FROM backup_key').get()).toEqual({ n: 0 }); // asks for the passphrase again
    } finally {
      db.close();
    }
  });
});
