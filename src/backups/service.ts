import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { HubContext } from '../part/context.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import { HearthError, conflict, errorMessage } from '../core/errors.js';
import { BACKUP_MAGIC, derivePassphraseKey, sealWithKey, type DerivedKey } from '../core/sealed.js';
import type { SecretBox } from '../config/secret-box.js';
import type { Origin } from '../audit/entry.js';
import { takeSnapshot, writeDurably } from './snapshot.js';
import { nextDailyAt } from './schedule.js';

const DAY = 86_400_000;
/** Names of the automatic backups; nothing else in the folder is listed, served or pruned. */
export const BACKUP_NAME = /^hearth-\d{8}-\d{6}(-\d+)?\.hbk$/;
/** The SecretBox key under which the derived backup key is sealed (its AAD). */
const KEY_AAD = 'backups.derived_key';

interface StateRow {
  next_due: string | null;
  last_ok_at: string | null;
  last_ok_file: string | null;
  last_error: string | null;
  last_error_at: string | null;
  copy_error: string | null;
}
interface KeyRow {
  salt: Buffer;
  log_n: number;
  r: number;
  p: number;
  sealed_key: string;
  set_at: string;
}

export interface BackupFile {
  name: string;
  bytes: number;
  at: string;
  age_s: number;
  /** Also in the second folder (backups.copy_to). */
  copied: boolean;
}

/** When a backup was taken (from its name, UTC) and its order among same-second ones. */
function stamp(name: string): { at: number; key: string } {
  const m = /^hearth-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-(\d+))?/.exec(name)!;
  const [, y, mo, d, h, mi, s, n] = m;
  return { at: Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!), key: `${y}${mo}${d}${h}${mi}${s}-${(n ?? '1').padStart(4, '0')}` };
}
const backupNames = (dir: string): string[] =>
  readdirSync(dir)
    .filter((n) => BACKUP_NAME.test(n))
    .sort((a, b) => (stamp(a).key < stamp(b).key ? -1 : 1));

const ago = (ms: number): string => {
  const h = Math.floor(ms / 3_600_000);
  return h >= 48 ? `${Math.floor(h / 24)} days` : h >= 1 ? `${h} h` : `${Math.max(1, Math.round(ms / 60_000))} min`;
};

/**
 * The hub backing itself up every day, in the home's time zone, while it runs: a snapshot as
 * `hearth backup create` takes it, encrypted with the key derived from the owner's backup
 * passphrase, into `<data>/backups/` and the second folder, keeping the last `backups.keep`.
 *
 * The passphrase is never stored. When the owner sets it, the hub derives the AES key with
 * scrypt and a random salt (as every backup file does) and keeps only that derived key, sealed
 * with the secrets key (SecretBox), plus the salt and scrypt parameters. Each backup is written
 * in the ordinary format with that salt in its header, so `hearth backup restore` opens it with
 * the passphrase alone. Whoever holds both the database and the secrets key can read backups;
 * neither alone can, and a backup file alone needs the passphrase.
 *
 * The next due time is kept in SQLite, so a hub that was off at the hour backs up on start.
 */
export class BackupService implements Service {
  readonly name = 'backups';
  readonly optional = true;
  private timer?: NodeJS.Timeout;
  private running?: Promise<BackupFile>;

  constructor(
    private readonly ctx: HubContext,
    private readonly box: SecretBox,
    private readonly checkEveryMs = 60_000,
  ) {}

  get dir(): string {
    return join(this.ctx.dataDir, 'backups');
  }

  start(): void {
    void this.tick(); // a day missed while the hub was off is caught up now
    this.timer = setInterval(() => void this.tick(), this.checkEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs the backup when it is due; public so a test can drive it with a manual clock. */
  async tick(): Promise<void> {
    const s = this.ctx.settings.get().backups;
    if (!s.enabled || !this.keyRow() || this.running) return;
    const now = this.ctx.clock.now();
    const st = this.state();
    if (!st.next_due) return void this.setNextDue(now);
    if (now < Date.parse(st.next_due)) return;
    try {
      await this.run('system', 'system');
    } catch {
      /* recorded in the state and the trail; health says so */
    } finally {
      this.setNextDue(this.ctx.clock.now());
    }
  }

  /** One backup now (the schedule, "Back up now", or support). */
  run(actor: string, origin: Origin): Promise<BackupFile> {
    if (this.running) throw conflict('BACKUP_RUNNING', 'A backup is already being made; wait for it to finish.');
    this.running = this.make(actor, origin).finally(() => (this.running = undefined));
    return this.running;
  }

  private async make(actor: string, origin: Origin): Promise<BackupFile> {
    const key = this.key();
    if (!key) throw conflict('BACKUP_NO_PASSPHRASE', 'Set a backup passphrase first: backups are encrypted with it.');
    const s = this.ctx.settings.get().backups;
    const now = this.ctx.clock.now();
    const name = this.freeName(now);
    try {
      if (this.ctx.store.essentialOnly) throw new HearthError('DISK_FULL', 'the data disk is nearly full, so no backup was written there', 507);
      const snap = await takeSnapshot(this.ctx.store.db, { box: this.box, clock: this.ctx.clock, actor, origin, file: name, audit: this.ctx.audit });
      const sealed = sealWithKey(snap.plain, key, BACKUP_MAGIC);
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeDurably(join(this.dir, name), sealed);
      this.prune(this.dir, s.keep);
      const copyError = this.copy(s.copy_to, name, sealed, s.keep);
      const at = new Date(now).toISOString();
      this.ctx.store.db
        .prepare('UPDATE backup_state SET last_ok_at = ?, last_ok_file = ?, last_error = NULL, last_error_at = NULL, copy_error = ? WHERE id = 1')
        .run(at, name, copyError ?? null);
      if (copyError) this.ctx.log.warn({ copy_to: s.copy_to, reason: copyError }, 'backup kept locally; the copy to the second folder failed');
      this.ctx.log.info({ file: name, bytes: sealed.length, entries: snap.entries }, 'backup written');
      return { name, bytes: sealed.length, at, age_s: 0, copied: !copyError && Boolean(s.copy_to) };
    } catch (err) {
      const reason = errorMessage(err);
      this.ctx.store.db.prepare('UPDATE backup_state SET last_error = ?, last_error_at = ? WHERE id = 1').run(reason, new Date(now).toISOString());
      this.ctx.audit.append({ actor, origin, kind: 'backup.failed', data: { file: name, reason } });
      this.ctx.log.warn({ err, file: name }, 'backup failed');
      throw err instanceof HearthError ? err : new HearthError('BACKUP_FAILED', `The backup failed: ${reason}`, 500);
    }
  }

  /** The second folder (a USB stick) must exist: a stick that is not plugged in is reported, not created. */
  private copy(to: string, name: string, sealed: Buffer, keep: number): string | undefined {
    if (!to) return undefined;
    const dir = resolve(this.ctx.dataDir, to);
    try {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) return `the folder ${dir} is not there (is the USB stick plugged in?)`;
      writeDurably(join(dir, name), sealed);
      this.prune(dir, keep);
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  }

  private prune(dir: string, keep: number): void {
    const names = backupNames(dir);
    for (const old of names.slice(0, Math.max(0, names.length - keep))) rmSync(join(dir, old), { force: true });
  }

  private freeName(now: number): string {
    const base = `hearth-${new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
    let name = `${base}.hbk`;
    for (let i = 2; existsSync(join(this.dir, name)); i++) name = `${base}-${i}.hbk`;
    return name;
  }

  /** Sets (or replaces) the owner's backup passphrase: only the derived key is kept, sealed. */
  async setPassphrase(passphrase: string, by: string): Promise<void> {
    const derived = await derivePassphraseKey(passphrase);
    const at = new Date(this.ctx.clock.now()).toISOString();
    const replaced = Boolean(this.keyRow());
    this.ctx.store.db
      .prepare('INSERT OR REPLACE INTO backup_key (id, salt, log_n, r, p, sealed_key, set_at) VALUES (1, ?, ?, ?, ?, ?, ?)')
      .run(derived.salt, derived.kdf.logN, derived.kdf.r, derived.kdf.p, this.box.seal(KEY_AAD, derived.key.toString('base64')), at);
    this.ctx.audit.append({ actor: by, origin: 'web', kind: 'backup.passphrase_set', data: { replaced } });
    if (!this.state().next_due) this.setNextDue(this.ctx.clock.now());
  }

  list(): BackupFile[] {
    if (!existsSync(this.dir)) return [];
    const copyDir = this.ctx.settings.get().backups.copy_to;
    const now = this.ctx.clock.now();
    return backupNames(this.dir)
      .reverse()
      .map((name) => {
        const at = stamp(name).at;
        return {
          name,
          bytes: statSync(join(this.dir, name)).size,
          at: new Date(at).toISOString(),
          age_s: Math.max(0, Math.round((now - at) / 1000)),
          copied: Boolean(copyDir) && existsSync(join(resolve(this.ctx.dataDir, copyDir), name)),
        };
      });
  }

  /** The path of a listed backup, or 404. */
  file(name: string): string {
    const path = join(this.dir, name);
    if (!BACKUP_NAME.test(name) || !existsSync(path)) throw new HearthError('NOT_FOUND', `There is no backup called ${name}`, 404);
    return path;
  }

  status() {
    const st = this.state();
    const key = this.keyRow();
    const now = this.ctx.clock.now();
    return {
      passphrase_set: Boolean(key),
      enabled: this.ctx.settings.get().backups.enabled,
      next_due: key ? st.next_due : null,
      last_good: st.last_ok_at ? { at: st.last_ok_at, file: st.last_ok_file!, age_s: Math.round((now - Date.parse(st.last_ok_at)) / 1000) } : null,
      last_error: st.last_error ? { at: st.last_error_at!, reason: st.last_error } : null,
      copy_error: st.copy_error,
      running: Boolean(this.running),
    };
  }

  health(): ComponentHealth {
    const s = this.ctx.settings.get().backups;
    if (!s.enabled) return { status: 'disabled', detail: 'Automatic backups are off (backups.enabled).' };
    const key = this.keyRow();
    if (!key) return { status: 'disabled', detail: 'No backup passphrase is set, so the hub makes no backups by itself. Set one under Health → Backups.' };
    const st = this.state();
    const now = this.ctx.clock.now();
    const failed = st.last_error ? ` The last attempt failed: ${st.last_error}.` : '';
    const copy = st.copy_error ? ` The copy to the second folder failed: ${st.copy_error}.` : '';
    const since = st.last_ok_at ? Date.parse(st.last_ok_at) : Date.parse(key.set_at);
    if (now - since > s.stale_days * DAY) {
      const what = st.last_ok_at
        ? `The last good backup is ${ago(now - since)} old.`
        : `No backup has succeeded since the passphrase was set ${ago(now - since)} ago.`;
      return { status: 'degraded', detail: `${what}${failed}` };
    }
    if (!st.last_ok_at) return { status: 'ok', detail: `The first backup is due at ${st.next_due ?? 'the next check'}.${failed}` };
    return { status: 'ok', detail: `Last good backup ${ago(now - since)} ago (${st.last_ok_file}).${failed}${copy}` };
  }

  private setNextDue(after: number): void {
    const next = nextDailyAt(after, this.ctx.settings.get().backups.hour, this.ctx.settings.get().hub.timezone);
    this.ctx.store.db.prepare('UPDATE backup_state SET next_due = ? WHERE id = 1').run(new Date(next).toISOString());
  }

  private state(): StateRow {
    return this.ctx.store.db
      .prepare('SELECT next_due, last_ok_at, last_ok_file, last_error, last_error_at, copy_error FROM backup_state WHERE id = 1')
      .get() as StateRow;
  }

  private keyRow(): KeyRow | undefined {
    return this.ctx.store.db.prepare('SELECT salt, log_n, r, p, sealed_key, set_at FROM backup_key WHERE id = 1').get() as KeyRow | undefined;
  }

  private key(): DerivedKey | undefined {
    const row = this.keyRow();
    if (!row) return undefined;
    try {
      return { salt: row.salt, kdf: { logN: row.log_n, r: row.r, p: row.p }, key: Buffer.from(this.box.unseal(KEY_AAD, row.sealed_key), 'base64') };
    } catch {
      throw conflict(
        'BACKUP_KEY_UNREADABLE',
        "The saved backup key cannot be opened with this hub's secrets key (was secrets.key replaced?). Set the backup passphrase again.",
      );
    }
  }
}
