import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { HearthError, errorMessage } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { AuditTrail } from '../audit/trail.js';
import type { Origin as AuditOrigin } from '../audit/entry.js';
import { openStoredSettings, type SecretBox } from '../config/secret-box.js';
import type { Db } from '../store/database.js';

export interface Snapshot {
  /** The database as a plain SQLite file, secrets opened (the caller seals the whole file). */
  plain: Buffer;
  /** Audit entries in the copy (the `backup.created` entry included). */
  entries: number;
}

/**
 * A consistent copy of a live database (SQLite's online backup, a few pages per turn of the
 * event loop, so the hub keeps answering while a large trail is copied), shared by
 * `hearth backup create` and the scheduled backups. Refuses a broken trail (a backup of it could
 * never be restored: restore verifies), names the broken entry, and records `backup.created`
 * first so the backup carries the entry that says it was taken. Secret settings are opened in
 * the copy so that it restores onto a box with another secrets key; the caller encrypts the
 * whole file with the owner's passphrase key.
 */
export async function takeSnapshot(
  db: Db,
  opts: { box: SecretBox; clock: Clock; actor: string; origin: AuditOrigin; file: string; audit?: AuditTrail },
): Promise<Snapshot> {
  const trail = opts.audit ?? new AuditTrail(db, opts.clock);
  const verify = trail.verify();
  if (!verify.ok) {
    throw new HearthError(
      'AUDIT_BROKEN',
      `the audit trail is broken at entry ${verify.broken.seq} (${verify.broken.reason}); no backup was written. Run \`hearth audit verify\` for details`,
      409,
      { seq: verify.broken.seq },
    );
  }
  // The copy is made beside the database, not in os.tmpdir(): on a Pi that is often a small RAM
  // disk, and the data disk is the one self-watch keeps room on.
  const work = mkdtempSync(db.memory ? join(tmpdir(), 'hearth-backup-') : join(dirname(db.name), '.backup-'));
  try {
    trail.append({ actor: opts.actor, origin: opts.origin, kind: 'backup.created', data: { file: opts.file } });
    const tmp = join(work, 'snapshot.db');
    await db.backup(tmp);
    withDb(tmp, (snap) => {
      // The online backup copies the header's WAL flag; a backup file is one self-contained file.
      snap.pragma('journal_mode = DELETE');
      openStoredSettings(snap, opts.box);
      // The scheduled backups' derived key is sealed with this box's key and useless elsewhere;
      // a restored hub asks its owner for the backup passphrase again.
      if (snap.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'backup_key'").get()) snap.prepare('DELETE FROM backup_key').run();
    });
    const entries = (db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
    return { plain: readFileSync(tmp), entries };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function withDb<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path, { fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/**
 * Writes to a temp file beside the target (0600), fsyncs, then renames: a crash leaves old or
 * new, never half. Throws `BACKUP_WRITE_FAILED` with a sentence (`the disk is full`…).
 */
export function writeDurably(path: string, data: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w', 0o600);
  } catch (err) {
    throw new HearthError('BACKUP_WRITE_FAILED', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, 500);
  }
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    const code = (err as NodeJS.ErrnoException).code;
    throw new HearthError('BACKUP_WRITE_FAILED', `cannot write ${path}: ${code === 'ENOSPC' ? 'the disk is full' : (code ?? errorMessage(err))}`, 507);
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    /* not supported on every filesystem; the rename is still atomic */
  }
}
