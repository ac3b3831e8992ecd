import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, statfsSync, unlinkSync, accessSync, constants, chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, FatalError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { commitsFor } from './commits.js';

/** Bytes the WAL file is trimmed back to after a checkpoint (SQLite's own checkpoint runs at ~4 MiB). */
export const WAL_SIZE_LIMIT = 4 * 1024 * 1024;
export type Db = Database.Database;

/** One numbered step of a part's tables. Versions start at 1 and never change once shipped. */
export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Db) => void);
}

/** The tables a part owns: each part keeps its own numbered migrations. */
export interface PartTables {
  part: string;
  migrations: Migration[];
}

export interface OpenStoreOptions {
  dataDir: string;
  log: Logger;
  parts: PartTables[];
  /** Keep this many pre-migration backups. */
  keepBackups?: number;
  /** Refuse to start with less free space than this on the data directory's disk. */
  minFreeBytes?: number;
}

export const DATABASE_FILE = 'hearth.db';

/**
 * The SQLite store. Two connections to one file: `db` with synchronous=FULL for what must not
 * be lost (audit, approvals, outboxes, members), and `telemetry` with NORMAL for state history
 * and metrics, where losing the last second on a power cut is acceptable. Both are WAL.
 */
/**
 * A SQLite file in WAL mode that only its owner can read: the file is made (or narrowed to) 0600
 * before SQLite opens it, and the WAL and SHM, which SQLite creates with the database file's mode,
 * are narrowed too in case an older copy was wider. The hub's store and the relay's state use it.
 */
export function openPrivateWal(path: string): Db {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const extra of [`${path}-wal`, `${path}-shm`]) if (existsSync(extra)) chmodSync(extra, 0o600);
  return db;
}

export class Store {
  readonly db: Db;
  readonly telemetry: Db;
  readonly path: string;
  /**
   * Set by the hub's self-watch when the data disk is nearly full: writers of what can be
   * lost (state history, telemetry, the log book) skip their writes; the audit trail, members,
   * approvals and outboxes go on.
   */
  essentialOnly = false;

  private constructor(path: string, db: Db, telemetry: Db) {
    this.path = path;
    this.db = db;
    this.telemetry = telemetry;
  }

  static open(options: OpenStoreOptions): Store {
    const { dataDir, log } = options;
    ensureDataDir(dataDir, options.minFreeBytes ?? 16 * 1024 * 1024);
    const path = join(dataDir, DATABASE_FILE);
    const existed = existsSync(path);
    let db: Db;
    let telemetry: Db;
    try {
      // The database holds hashes, tokens and secret settings: 0600 whatever the umask or the
      // directory's history.
      db = openPrivateWal(path);
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // Without a limit the WAL file keeps the size of its largest burst for ever (the soak saw it
      // only grow); with it, each reset after a checkpoint trims it back.
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
      telemetry = new Database(path);
      telemetry.pragma('synchronous = NORMAL');
      telemetry.pragma('busy_timeout = 5000');
      telemetry.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    } catch (err) {
      throw storageFatal(err, path);
    }
    const store = new Store(path, db, telemetry);
    try {
      store.migrate(options.parts, existed, log, options.keepBackups ?? 5);
    } catch (err) {
      store.close();
      throw err instanceof FatalError ? err : storageFatal(err, path);
    }
    return store;
  }

  /** Runs each part's pending migrations, each in its own transaction, after one backup copy. */
  private migrate(parts: PartTables[], existed: boolean, log: Logger, keepBackups: number): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      part TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
      PRIMARY KEY (part, version))`);
    const applied = new Set(
      (this.db.prepare('SELECT part, version FROM schema_migrations').all() as { part: string; version: number }[]).map((r) => `${r.part}:${r.version}`),
    );
    const pending = parts.flatMap((p) =>
      [...p.migrations]
        .sort((a, b) => a.version - b.version)
        .filter((m) => !applied.has(`${p.part}:${m.version}`))
        .map((m) => ({ part: p.part, m })),
    );
    if (pending.length === 0) return;
    if (existed && applied.size > 0) {
      const backup = this.backupBeforeMigration(keepBackups);
      log.info({ backup, pending: pending.map((p) => `${p.part}:${p.m.version}`) }, 'database backed up before migrating');
    }
    const record = this.db.prepare('INSERT INTO schema_migrations (part, version, name, applied_at) VALUES (?, ?, ?, ?)');
    for (const { part, m } of pending) {
      this.db.transaction(() => {
        if (typeof m.up === 'string') this.db.exec(m.up);
        else m.up(this.db);
        record.run(part, m.version, m.name, new Date().toISOString());
      })();
      log.debug({ part, version: m.version, name: m.name }, 'migration applied');
    }
  }

  private backupBeforeMigration(keep: number): string {
    const dir = join(this.path, '..', 'backups');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `hearth-${new Date().toISOString().replace(/[:.]/g, '-')}-pre-migration.db`);
    this.db.prepare('VACUUM INTO ?').run(file);
    chmodSync(file, 0o600);
    const old = readdirSync(dir)
      .filter((f) => f.endsWith('-pre-migration.db'))
      .sort();
    for (const f of old.slice(0, Math.max(0, old.length - keep))) unlinkSync(join(dir, f));
    return file;
  }

  appliedMigrations(): { part: string; version: number; name: string }[] {
    return this.db.prepare('SELECT part, version, name FROM schema_migrations ORDER BY part, version').all() as {
      part: string;
      version: number;
      name: string;
    }[];
  }

  close(): void {
    if (this.telemetry.open) this.telemetry.close();
    if (this.db.open) {
      commitsFor(this.db).close(); // what waits for the group commit lands before the file closes
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* read-only or busy: the WAL is replayed on next open */
      }
      this.db.close();
    }
  }
}

export function ensureDataDir(dataDir: string, minFreeBytes: number): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.W_OK | constants.R_OK);
  } catch (err) {
    throw new FatalError(
      `data directory ${dataDir} is not usable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (check that it exists and that the hub's user may write to it)`,
      EXIT.cantCreate,
    );
  }
  const free = freeBytes(dataDir);
  if (free !== undefined && free < minFreeBytes) {
    throw new FatalError(
      `the disk holding ${dataDir} has only ${Math.round(free / 1024)} KiB free; Hearth needs at least ${Math.round(minFreeBytes / 1024 / 1024)} MiB. Free some space and start again.`,
      EXIT.ioErr,
    );
  }
}

export function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Turns SQLite's errors about the disk into messages a homeowner can act on. */
export function storageFatal(err: unknown, path: string): FatalError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL') return new FatalError(`the disk holding ${path} is full; free some space and start again`, EXIT.ioErr);
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY_DIRECTORY') {
    return new FatalError(
      `the database ${path} cannot be written (${code}); check the data directory's permissions and that its disk is not read-only`,
      EXIT.cantCreate,
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new FatalError(`the database ${path} is damaged (${code}); restore it from a backup (hearth backup restore FILE)`, EXIT.dataErr);
  }
  return new FatalError(`the database ${path} could not be opened: ${(err as Error).message}`, EXIT.ioErr);
}
