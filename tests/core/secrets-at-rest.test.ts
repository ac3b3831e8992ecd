import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/config/errors.js';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { runCli, SLOW_TEST_MS } from '../cli/slow.js';

const TOKEN = 'AC-auth-token-4f1c9e7d2b8a';

/** Every byte the database has on disk: the file, its WAL and its shared memory. */
function rawDatabase(dataDir: string): Buffer {
  const parts = ['hearth.db', 'hearth.db-wal', 'hearth.db-shm'].map((f) => join(dataDir, f)).filter(existsSync);
  return Buffer.concat(parts.map((p) => readFileSync(p)));
}

function storedDoc(dataDir: string): Record<string, Record<string, unknown>> {
  const db = new Database(join(dataDir, 'hearth.db'), { readonly: true });
  try {
    return JSON.parse((db.prepare('SELECT doc FROM settings_overrides WHERE id = 1').get() as { doc: string }).doc);
  } finally {
    db.close();
  }
}

describe('secrets sealed at rest', { timeout: SLOW_TEST_MS }, () => {
  const dirs: string[] = [];
  let hub: TestHub | undefined;
  afterEach(async () => {
    await hub?.stop();
    hub = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };

  it('a secret the owner saves never reaches the database file in clear, and reads back after a restart', async () => {
    const data = dir();
    hub = await startTestHub({ dataDir: data });
    hub.hub.ctx.settings.update({ twilio: { account_sid: 'AC123', auth_token: TOKEN } }, 'mem_owner');
    await hub.stop();
    hub = undefined;

    expect(rawDatabase(data).includes(Buffer.from(TOKEN))).toBe(false);
    const sealed = storedDoc(data).twilio?.auth_token;
    expect(String(sealed)).toMatch(/^sealed:v1:/);
    expect(storedDoc(data).twilio?.account_sid).toBe('AC123'); // not a secret: stays readable
    expect(statSync(join(data, 'secrets.key')).mode & 0o777).toBe(0o600);

    hub = await startTestHub({ dataDir: data });
    expect(hub.hub.ctx.settings.get().twilio.auth_token).toBe(TOKEN);
    expect(hub.hub.ctx.settings.redacted().twilio.auth_token).toBe('[secret]');
  });

  it('seals the clear secrets an older hub stored, in the database and in its pre-migration copies, and records it', async () => {
    const data = dir();
    hub = await startTestHub({ dataDir: data });
    await hub.stop();
    hub = undefined;
    // What an older Hearth left: the token in clear in the overrides, and a copy in backups/.
    const db = new Database(join(data, 'hearth.db'));
    db.prepare("INSERT INTO settings_overrides (id, doc, updated_at, updated_by) VALUES (1, ?, 'then', 'mem_owner')").run(
      JSON.stringify({ twilio: { auth_token: TOKEN } }),
    );
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    mkdirSync(join(data, 'backups'), { recursive: true });
    copyFileSync(join(data, 'hearth.db'), join(data, 'backups', 'old-pre-migration.db'));
    expect(rawDatabase(data).includes(Buffer.from(TOKEN))).toBe(true); // the test is able to see it

    hub = await startTestHub({ dataDir: data });
    expect(hub.hub.ctx.settings.get().twilio.auth_token).toBe(TOKEN);
    const sealedEntry = hub.hub.ctx.audit.list({ limit: 50 }).entries.find((e) => e.kind === 'settings.secrets_sealed');
    expect(sealedEntry?.data).toMatchObject({ keys: ['twilio.auth_token'], backup_copies: 1 });
    await hub.stop();
    hub = undefined;

    expect(rawDatabase(data).includes(Buffer.from(TOKEN))).toBe(false);
    expect(readFileSync(join(data, 'backups', 'old-pre-migration.db')).includes(Buffer.from(TOKEN))).toBe(false);
  });

  it('a database moved without its key does not start, and says which secret and what to do', async () => {
    const data = dir();
    hub = await startTestHub({ dataDir: data });
    hub.hub.ctx.settings.update({ twilio: { auth_token: TOKEN } }, 'mem_owner');
    await hub.stop();
    hub = undefined;
    writeFileSync(join(data, 'secrets.key'), 'ab'.repeat(32), { mode: 0o600 });
    await expect(startTestHub({ dataDir: data })).rejects.toThrow(ConfigError);
    await expect(startTestHub({ dataDir: data })).rejects.toThrow(/twilio\.auth_token.*secrets\.key.*hearth settings reset/s);
  });

  it('takes the key from a systemd credential when the unit provides one', async () => {
    const data = dir();
    const creds = dir();
    writeFileSync(join(creds, 'hearth-secrets-key'), 'cd'.repeat(32));
    hub = await startTestHub({ dataDir: data, env: { CREDENTIALS_DIRECTORY: creds } });
    hub.hub.ctx.settings.update({ twilio: { auth_token: TOKEN } }, 'mem_owner');
    await hub.stop();
    hub = undefined;
    expect(existsSync(join(data, 'secrets.key'))).toBe(false);
    await expect(startTestHub({ dataDir: data })).rejects.toThrow(/cannot be opened/); // the file key is another key
    hub = await startTestHub({ dataDir: data, env: { CREDENTIALS_DIRECTORY: creds } });
    expect(hub.hub.ctx.settings.get().twilio.auth_token).toBe(TOKEN);
  });

  it('a backup restored onto a fresh box with another key brings the secret back, sealed with the new key', async () => {
    const home = dir();
    const data = join(home, 'data');
    hub = await startTestHub({ dataDir: data });
    hub.hub.ctx.settings.update({ twilio: { auth_token: TOKEN } }, 'mem_owner');
    await hub.stop();
    hub = undefined;
    const env = { HEARTH_BACKUP_PASSPHRASE: 'correct horse battery staple' };
    const file = join(home, 'home.hbk');
    expect((await runCli(['backup', 'create', file, '--data', data], { cwd: home, env })).code).toBe(0);

    const fresh = join(home, 'fresh');
    const restored = await runCli(['backup', 'restore', file, '--data', fresh], { cwd: home, env });
    expect(restored.code, restored.stderr).toBe(0);
    expect(readFileSync(join(fresh, 'secrets.key'))).not.toEqual(readFileSync(join(data, 'secrets.key')));
    expect(rawDatabase(fresh).includes(Buffer.from(TOKEN))).toBe(false);
    hub = await startTestHub({ dataDir: fresh });
    expect(hub.hub.ctx.settings.get().twilio.auth_token).toBe(TOKEN);
  });
});
