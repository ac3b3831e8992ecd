import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { EXIT, FatalError, HearthError, errorMessage } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import { AuditTrail } from '../../audit/trail.js';
import { DATABASE_FILE } from '../../store/database.js';
import { DataDirLock } from '../../store/lock.js';
import { allTables } from '../../hub/parts.js';
import { parse, settingsOptions } from '../args.js';
import { dataDirFrom, openExistingDb, osActor } from '../data-dir.js';
import { readPassphrase } from '../prompt.js';
import { BACKUP_MAGIC, seal, unseal } from '../../core/sealed.js';
import { fsyncDir, takeSnapshot, withDb, writeDurably, type Snapshot } from '../../backups/snapshot.js';
import { SecretBox, sealStoredSettings } from '../../config/secret-box.js';

export const backupHelp = [
  'hearth backup create FILE [--force] [--data DIR]   encrypted snapshot of the database (passphrase: HEARTH_BACKUP_PASSPHRASE or asked)',
  'hearth backup restore FILE [--data DIR]           replace the database with a backup (the hub must be stopped)',
].join('\n');

export async function backupCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { ...settingsOptions, force: { type: 'boolean' } });
  const file = positionals[0];
  if ((sub !== 'create' && sub !== 'restore') || !file || positionals.length > 1) {
    throw new FatalError(`usage:\n${backupHelp}`, EXIT.usage);
  }
  const dataDir = dataDirFrom(values);
  return sub === 'create' ? create(dataDir, resolve(file), Boolean(values.force)) : restore(dataDir, resolve(file));
}

async function create(dataDir: string, out: string, force: boolean): Promise<number> {
  if (existsSync(out) && !force) throw new FatalError(`${out} already exists; choose another name or pass --force`, EXIT.cantCreate);
  const passphrase = await readPassphrase({ confirm: true });
  const db = openExistingDb(dataDir);
  let snap: Snapshot;
  try {
    snap = await takeSnapshot(db, { box: SecretBox.open(dataDir), clock: systemClock, actor: osActor(), origin: 'cli', file: basename(out) });
  } catch (err) {
    throw err instanceof HearthError ? new FatalError(err.message, EXIT.dataErr) : err;
  } finally {
    db.close();
  }
  const snapshot = snap.plain;
  const entries = snap.entries;
  const sealed = await seal(snapshot, passphrase, BACKUP_MAGIC);
  durably(out, sealed);
  process.stdout.write(`backup written to ${out} (${Math.ceil(sealed.length / 1024)} KiB, ${entries} audit entries)\n`);
  return EXIT.ok;
}

async function restore(dataDir: string, file: string): Promise<number> {
  let sealed: Buffer;
  try {
    sealed = readFileSync(file);
  } catch (err) {
    throw new FatalError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, EXIT.usage);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = new DataDirLock(dataDir);
  lock.acquire(); // refuses while a hub runs here, and keeps one from starting mid-restore
  const staged = join(dataDir, `.restore-${process.pid}.db`);
  try {
    const passphrase = await readPassphrase({ confirm: false });
    const plain = await unseal(sealed, passphrase, BACKUP_MAGIC, basename(file)).catch((err: unknown) => {
      throw err instanceof HearthError ? new FatalError(err.message, EXIT.dataErr) : err;
    });
    durably(staged, plain);
    const entries = checkAndMark(staged, basename(file));
    withDb(staged, (db) => sealStoredSettings(db, SecretBox.open(dataDir))); // sealed with this box's key
    const aside = moveCurrentAside(dataDir);
    const target = join(dataDir, DATABASE_FILE);
    renameSync(staged, target);
    for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
    matchOwner(target, dataDir);
    fsyncDir(dataDir);
    process.stdout.write(`restored ${basename(file)} into ${target} (${entries} audit entries)${aside ? `; the previous database is ${aside}` : ''}\n`);
    return EXIT.ok;
  } finally {
    rmSync(staged, { force: true });
    lock.release();
  }
}

/** Refuses anything but an intact Hearth database this version can run; then records the restore in it. */
function checkAndMark(path: string, name: string): number {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (err) {
    throw new FatalError(`${name} does not hold a database: ${errorMessage(err)}`, EXIT.dataErr);
  }
  try {
    let integrity: string;
    try {
      integrity = db.pragma('integrity_check', { simple: true }) as string;
    } catch (err) {
      throw new FatalError(`${name} does not hold a SQLite database: ${errorMessage(err)}`, EXIT.dataErr);
    }
    if (integrity !== 'ok') throw new FatalError(`${name} holds a damaged database (${integrity}); nothing was restored`, EXIT.dataErr);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    for (const t of ['schema_migrations', 'audit', 'audit_head']) {
      if (!tables.has(t)) throw new FatalError(`${name} is not a Hearth database (no ${t} table); nothing was restored`, EXIT.dataErr);
    }
    const known = new Set(allTables.flatMap((p) => p.migrations.map((m) => `${p.part}:${m.version}`)));
    const newer = (db.prepare('SELECT part, version FROM schema_migrations').all() as { part: string; version: number }[]).filter(
      (m) => !known.has(`${m.part}:${m.version}`),
    );
    if (newer.length)
      throw new FatalError(
        `${name} was made by a newer Hearth (migrations ${newer.map((m) => `${m.part}:${m.version}`).join(', ')}); upgrade first`,
        EXIT.dataErr,
      );
    const trail = new AuditTrail(db, systemClock);
    const verify = trail.verify();
    if (!verify.ok)
      throw new FatalError(`${name}: its audit trail is broken at entry ${verify.broken.seq} (${verify.broken.reason}); nothing was restored`, EXIT.dataErr);
    db.pragma('synchronous = FULL');
    trail.append({ actor: osActor(), origin: 'cli', kind: 'backup.restored', data: { file: name, entries_in_backup: verify.count } });
    return verify.count + 1;
  } finally {
    db.close();
  }
}

/** The current database (and its WAL, which may hold committed rows) goes to backups/. */
function moveCurrentAside(dataDir: string): string | undefined {
  const current = join(dataDir, DATABASE_FILE);
  if (!existsSync(current)) return undefined;
  const dir = join(dataDir, 'backups');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const aside = join(dir, `before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}.db`);
  renameSync(current, aside);
  if (existsSync(`${current}-wal`)) renameSync(`${current}-wal`, `${aside}-wal`);
  rmSync(`${current}-shm`, { force: true });
  return aside;
}

/** Run as root (sudo) on an installed hub: the restored file must stay the hub user's. */
function matchOwner(path: string, dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(dataDir);
  if (uid !== 0) chownSync(path, uid, gid);
}

function durably(path: string, data: Buffer): void {
  try {
    writeDurably(path, data);
  } catch (err) {
    if (!(err instanceof HearthError)) throw err;
    throw new FatalError(err.message, err.status === 507 ? EXIT.ioErr : EXIT.cantCreate);
  }
}
