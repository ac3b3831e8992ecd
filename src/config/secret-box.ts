import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../store/database.js';
import { ConfigError } from './errors.js';
import { settingLeaves } from './introspect.js';
import { isPlainObject, type PlainObject } from './merge.js';

/** The key file in the data directory, used when systemd hands the hub no credential. */
export const SECRETS_KEY_FILE = 'secrets.key';
/** The name of the systemd credential (`LoadCredentialEncrypted=hearth-secrets-key:…`). */
export const SECRETS_CREDENTIAL = 'hearth-secrets-key';

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals the settings marked secret in the schema (AES-256-GCM) before they reach the database,
 * with a key that lives outside it: a systemd credential when the unit provides one (it can be
 * TPM-bound), otherwise a 0600 key file in the data directory. The database file alone
 * reveals no secret. The setting's key is the additional data, so a sealed value cannot be
 * moved to another key.
 */
export class SecretBox {
  private constructor(
    private readonly key: Buffer,
    /** Where the key came from, for doctor and the docs: `credential` or the key file's path. */
    readonly source: string,
  ) {}

  /** The credential if systemd passed one, else the data directory's key file (made on first use). */
  static open(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
    const credDir = env.CREDENTIALS_DIRECTORY;
    if (credDir && existsSync(join(credDir, SECRETS_CREDENTIAL))) {
      return new SecretBox(parseKey(readFileSync(join(credDir, SECRETS_CREDENTIAL)), `systemd credential ${SECRETS_CREDENTIAL}`), 'credential');
    }
    const path = join(dataDir, SECRETS_KEY_FILE);
    if (!existsSync(path)) createKeyFile(path);
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, 0o600); // a copy that widened the mode: close it again
    return new SecretBox(parseKey(readFileSync(path), path), path);
  }

  /** For tests and one-shot tools that bring their own key. */
  static fromKey(key: Buffer): SecretBox {
    return new SecretBox(parseKey(key, 'key'), 'memory');
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }

  seal(settingKey: string, plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`hearth-setting:${settingKey}`));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Throws a `ConfigError` naming the key when the value was sealed with another key or altered. */
  unseal(settingKey: string, sealed: string): string {
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    try {
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('too short');
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(`hearth-setting:${settingKey}`));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new ConfigError(
        `the stored secret "${settingKey}" cannot be opened with this hub's secrets key (${this.source}). ` +
          `Put back the ${SECRETS_KEY_FILE} that came with this database, or clear the run-time settings with \`hearth settings reset\` and enter the secrets again.`,
      );
    }
  }

  /**
   * The overrides document with every secret setting sealed. `changed` lists the keys that
   * were in clear (an older hub's database), so the caller can record the migration.
   */
  sealDoc(doc: PlainObject): { doc: PlainObject; sealedNow: string[] } {
    const out = structuredClone(doc);
    const sealedNow: string[] = [];
    for (const { section, name, key, value } of secretValues(out)) {
      if (typeof value !== 'string' || SecretBox.isSealed(value)) continue;
      (out[section] as PlainObject)[name] = this.seal(key, value);
      sealedNow.push(key);
    }
    return { doc: out, sealedNow };
  }

  /** The overrides document with every sealed secret opened, as the settings schema expects it. */
  openDoc(doc: PlainObject): PlainObject {
    const out = structuredClone(doc);
    for (const { section, name, key, value } of secretValues(out)) {
      if (SecretBox.isSealed(value)) (out[section] as PlainObject)[name] = this.unseal(key, value);
    }
    return out;
  }
}

function* secretValues(doc: PlainObject): Generator<{ section: string; name: string; key: string; value: unknown }> {
  for (const leaf of settingLeaves()) {
    if (!leaf.secret) continue;
    const [section, name] = leaf.key.split('.') as [string, string];
    const holder = doc[section];
    if (!isPlainObject(holder) || !Object.hasOwn(holder, name)) continue;
    yield { section, name, key: leaf.key, value: holder[name] };
  }
}

/** 32 raw bytes, or 64 hex / 44 base64 characters (how `systemd-creds` users tend to write it). */
function parseKey(raw: Buffer, where: string): Buffer {
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const b64 = Buffer.from(text, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/_-]+=*$/.test(text)) return b64;
  throw new ConfigError(`${where} does not hold a 256-bit key (32 raw bytes, 64 hex or base64 characters)`);
}

function createKeyFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // another process made it first
    throw new ConfigError(`cannot create the secrets key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    writeSync(fd, randomBytes(32).toString('hex') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Seals what an older hub (or a restored backup) stored in clear in `settings_overrides`, and
 * makes sure the clear text is gone from the file: `secure_delete` zeroes the freed bytes and
 * a checkpoint moves the new page out of the WAL. Returns the keys it sealed.
 */
export function sealStoredSettings(db: Db, box: SecretBox): string[] {
  let tableExists: unknown;
  try {
    tableExists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings_overrides'").get();
  } catch {
    return [];
  }
  if (!tableExists) return [];
  const row = db.prepare('SELECT doc FROM settings_overrides WHERE id = 1').get() as { doc: string } | undefined;
  if (!row) return [];
  const { doc, sealedNow } = box.sealDoc(JSON.parse(row.doc) as PlainObject);
  if (sealedNow.length === 0) return [];
  const before = db.pragma('secure_delete', { simple: true });
  db.pragma('secure_delete = ON');
  try {
    db.prepare('UPDATE settings_overrides SET doc = ? WHERE id = 1').run(JSON.stringify(doc));
  } finally {
    db.pragma(`secure_delete = ${Number(before) ? 'ON' : 'OFF'}`);
  }
  if (db.pragma('journal_mode', { simple: true }) === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
  return sealedNow;
}

/** Opens the sealed secrets of a database file in place (a backup's snapshot, encrypted as a whole afterwards). */
export function openStoredSettings(db: Db, box: SecretBox): void {
  const row = db.prepare('SELECT doc FROM settings_overrides WHERE id = 1').get() as { doc: string } | undefined;
  if (!row) return;
  db.prepare('UPDATE settings_overrides SET doc = ? WHERE id = 1').run(JSON.stringify(box.openDoc(JSON.parse(row.doc) as PlainObject)));
}

/**
 * Seals the clear secrets left in the database copies under `<data>/backups` (the copies taken
 * before a migration or a restore, made by an older hub). Returns the files it changed.
 */
export function sealBackupCopies(dataDir: string, box: SecretBox, open: (path: string) => Db): string[] {
  const dir = join(dataDir, 'backups');
  if (!existsSync(dir)) return [];
  const changed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.db')) continue;
    const db = open(join(dir, name));
    try {
      if (sealStoredSettings(db, box).length > 0) changed.push(name);
    } finally {
      db.close();
    }
  }
  return changed;
}
