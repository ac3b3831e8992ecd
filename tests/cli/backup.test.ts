import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/database.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { allTables } from '../../src/hub/parts.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { tempDir, type HubProcess } from '../helpers/hub.js';
import { runCli, spawnHub, SLOW_TEST_MS } from './slow.js';

const PASS = 'correct horse battery staple';

describe('hearth backup', { timeout: SLOW_TEST_MS }, () => {
  let dir: string;
  let data: string;
  let hub: HubProcess | undefined;
  beforeEach(() => {
    dir = tempDir();
    data = join(dir, 'data');
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    const trail = new AuditTrail(store.db, systemClock);
    for (let i = 1; i <= 3; i++) trail.append({ actor: 'mem_ann', origin: 'web', kind: 'test.before', data: { i } });
    store.close();
  });
  afterEach(async () => {
    if (hub && hub.child.exitCode === null) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    hub = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], passphrase: string | null = PASS) =>
    runCli([...args, '--data', data], { cwd: dir, env: passphrase === null ? {} : { HEARTH_BACKUP_PASSPHRASE: passphrase } });
  const kinds = () => {
    const db = new Database(join(data, 'hearth.db'), { readonly: true });
    const out = (db.prepare('SELECT kind FROM audit ORDER BY seq').all() as { kind: string }[]).map((r) => r.kind);
    db.close();
    return out;
  };

  it('create writes an encrypted 0600 file with a header; restore brings the database back, audited', async () => {
    const file = join(dir, 'home.hbk');
    const created = await cli(['backup', 'create', file]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('backup written');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('HEARTHBK');
    expect(bytes[8]).toBe(1);
    expect(bytes.includes(Buffer.from('SQLite format 3'))).toBe(false);
    expect(bytes.includes(Buffer.from('test.before'))).toBe(false);

    // Changes after the backup are undone by the restore, and kept aside.
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    new AuditTrail(store.db, systemClock).append({ actor: 'mem_ann', origin: 'web', kind: 'test.after', data: {} });
    store.close();
    expect(kinds()).toContain('test.after');

    const restored = await cli(['backup', 'restore', file]);
    expect(restored.code).toBe(0);
    expect(kinds()).toEqual(['test.before', 'test.before', 'test.before', 'backup.created', 'backup.restored']);
    const aside = readdirSync(join(data, 'backups')).filter((f) => /^before-restore-.*\.db$/.test(f));
    expect(aside).toHaveLength(1);
    const old = new Database(join(data, 'backups', aside[0]!), { readonly: true });
    expect((old.prepare("SELECT COUNT(*) AS n FROM audit WHERE kind = 'test.after'").get() as { n: number }).n).toBe(1);
    old.close();
    expect(existsSync(join(data, 'hearth.db-wal'))).toBe(false);
    expect((await cli(['audit', 'verify'], null)).code).toBe(0);
  });

  it('refuses to back up a database whose audit trail is broken, naming the entry', async () => {
    const db = new Database(join(data, 'hearth.db'));
    db.prepare(`UPDATE audit SET data = '{"i":99}' WHERE seq = 2`).run();
    db.close();
    const file = join(dir, 'broken.hbk');
    const created = await cli(['backup', 'create', file]);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('broken at entry 2');
    expect(existsSync(file)).toBe(false);
  });

  it('a wrong passphrase: clear message, non-zero exit, nothing changed', async () => {
    const file = join(dir, 'home.hbk');
    expect((await cli(['backup', 'create', file])).code).toBe(0);
    const before = readFileSync(join(data, 'hearth.db'));
    const r = await cli(['backup', 'restore', file], 'not the right passphrase');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/wrong passphrase/);
    expect(r.stderr).toMatch(/Nothing was restored/);
    expect(readFileSync(join(data, 'hearth.db')).equals(before)).toBe(true);
    expect(existsSync(join(data, 'backups'))).toBe(false);
    expect(readdirSync(data).filter((f) => f.startsWith('.restore'))).toEqual([]);
  });

  it('a changed byte anywhere (header or body) is refused like a wrong passphrase', async () => {
    const file = join(dir, 'home.hbk');
    expect((await cli(['backup', 'create', file])).code).toBe(0);
    const bytes = readFileSync(file);
    for (const at of [20, bytes.length - 5]) {
      const copy = Buffer.from(bytes);
      copy[at] = copy[at]! ^ 1;
      writeFileSync(join(dir, 'bad.hbk'), copy);
      const r = await cli(['backup', 'restore', join(dir, 'bad.hbk')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/cannot decrypt/);
    }
  });

  it('refuses a file that is not a Hearth backup', async () => {
    writeFileSync(join(dir, 'x.hbk'), 'just some text, long enough to pass the size check of the header and tag');
    const r = await cli(['backup', 'restore', join(dir, 'x.hbk')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/not a Hearth backup/);
  });

  it('refuses an empty or short passphrase, and no passphrase without a terminal', async () => {
    const file = join(dir, 'home.hbk');
    for (const p of ['', 'short']) {
      const r = await cli(['backup', 'create', file], p);
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(/at least 10 characters/);
    }
    const none = await cli(['backup', 'create', file], null);
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(/HEARTH_BACKUP_PASSPHRASE/);
    expect(existsSync(file)).toBe(false);
  });

  it('will not overwrite an existing file without --force', async () => {
    const file = join(dir, 'home.hbk');
    writeFileSync(file, 'keep me');
    const r = await cli(['backup', 'create', file]);
    expect(r.code).toBe(73);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect((await cli(['backup', 'create', file, '--force'])).code).toBe(0);
  });

  it('create works while the hub runs; restore refuses while it runs', async () => {
    hub = await spawnHub(['--data', data]);
    const file = join(dir, 'live.hbk');
    expect((await cli(['backup', 'create', file])).code).toBe(0);
    const before = readFileSync(join(data, 'hearth.db'));
    const r = await cli(['backup', 'restore', file]);
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/already running/);
    expect(readFileSync(join(data, 'hearth.db')).equals(before)).toBe(true);
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    expect((await cli(['backup', 'restore', file])).code).toBe(0);
    expect(kinds().at(-1)).toBe('backup.restored');
  });

  it('restores into an empty data directory (a new box)', async () => {
    const file = join(dir, 'home.hbk');
    expect((await cli(['backup', 'create', file])).code).toBe(0);
    const fresh = join(dir, 'fresh');
    const r = await runCli(['backup', 'restore', file, '--data', fresh], { cwd: dir, env: { HEARTH_BACKUP_PASSPHRASE: PASS } });
    expect(r.code).toBe(0);
    expect(existsSync(join(fresh, 'hearth.db'))).toBe(true);
    expect((await runCli(['audit', 'verify', '--data', fresh])).code).toBe(0);
  });
});

describe('hearth settings reset', { timeout: SLOW_TEST_MS }, () => {
  let data: string;
  beforeEach(() => {
    data = tempDir();
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    store.db
      .prepare('INSERT INTO settings_overrides (id, doc, updated_at, updated_by) VALUES (1, ?, ?, ?)')
      .run(JSON.stringify({ http: { port: 'bad' }, hub: { name: 'X' } }), new Date().toISOString(), 'mem_x');
    store.close();
  });
  afterEach(() => rmSync(data, { recursive: true, force: true }));

  it('bad run-time settings stop the hub with 78 and point at the reset; the reset clears them, audited', async () => {
    const env = { HEARTH_HTTP_HOST: '127.0.0.1', HEARTH_MQTT_PORT: '0', HEARTH_HUB_DEMO: 'false' };
    const r = await runCli(['start', '--data', data], { env });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('hearth settings reset');
    const reset = await runCli(['settings', 'reset', '--data', data]);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/http\.port, hub\.name|hub\.name, http\.port|cleared/);
    const db = new Database(join(data, 'hearth.db'), { readonly: true });
    expect(db.prepare('SELECT * FROM settings_overrides').all()).toEqual([]);
    const last = db.prepare('SELECT kind, origin, data FROM audit ORDER BY seq DESC LIMIT 1').get() as { kind: string; origin: string; data: string };
    db.close();
    expect(last.kind).toBe('settings.reset');
    expect(last.origin).toBe('cli');
    expect(JSON.parse(last.data).cleared).toEqual(expect.arrayContaining(['http.port', 'hub.name']));
    expect((await runCli(['settings', 'reset', '--data', data])).stdout).toMatch(/no run-time settings/);
  });
});
