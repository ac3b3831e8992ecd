import { chownSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import Database from 'better-sqlite3';
import { loadSettings } from '../config/load.js';
import { EXIT, FatalError } from '../core/errors.js';
import { DATABASE_FILE, storageFatal } from '../store/database.js';
import { flagsFrom } from './args.js';

/** The data directory the settings (file, env, --data) point at. */
export function dataDirFrom(values: { config?: string; data?: string }): string {
  const { settings } = loadSettings({ file: values.config, flags: flagsFrom(values) });
  return resolve(settings.hub.data_dir);
}

/**
 * The database of a data directory, opened as the hub opens it (WAL, synchronous=FULL) but
 * without running migrations: one-shot commands must not change the schema under a hub.
 */
export function openExistingDb(dataDir: string): Database.Database {
  const path = join(dataDir, DATABASE_FILE);
  if (!existsSync(path)) throw new FatalError(`no Hearth database in ${dataDir} (use --data DIR or HEARTH_DATA_DIR to point at it)`, EXIT.dataErr);
  try {
    const db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = FULL');
    return db;
  } catch (err) {
    throw storageFatal(err, path);
  }
}

/** Who ran a command, for the audit trail: the operating-system user (through sudo, the real one). */
export function osActor(env: NodeJS.ProcessEnv = process.env): string {
  let name = env.SUDO_USER;
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      name = String(process.getuid?.() ?? 'unknown');
    }
  }
  return `os:${name}`;
}

/** Run as root (sudo) on a data directory the hub's user owns: files made here are given to that user, or the hub could not open them. */
export function matchOwner(path: string, dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(dataDir);
  if (uid !== 0) chownSync(path, uid, gid);
}

/** The data directory's owner, when this runs as root and that is another user (whom a hub started from here runs as). */
export function dataDirOwner(dataDir: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const { uid, gid } = statSync(dataDir);
  return uid === 0 ? undefined : { uid, gid };
}
