import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, FatalError, errorMessage } from '../../core/errors.js';
import { systemClock, isoTime } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import { UPDATE_RECORD_FILE, writeUpdateRecord, type UpdateRecord } from '../../core/update-record.js';
import { AuditTrail } from '../../audit/trail.js';
import { DATABASE_FILE } from '../../store/database.js';
import { DataDirLock } from '../../store/lock.js';
import { withDb } from '../../backups/snapshot.js';
import { matchOwner } from '../data-dir.js';
import { CURRENT_LINK, RELEASES_DIR, fetchRelease, unpackRelease } from './release.js';
import type { HubControl } from './hub-control.js';

export interface UpdateOptions {
  source: string;
  sha256: string;
  prefix: string;
  dataDir: string;
  /** `GET /api/v1/health` of the hub these settings describe. */
  healthUrl: string;
  control: HubControl;
  /** How long the new release has to answer healthy with its own version. */
  timeoutMs: number;
  actor: string;
  say: (line: string) => void;
}

export type UpdateResult = { status: 'updated'; from: string; to: string } | { status: 'rolled_back'; from: string; to: string; reason: string };

/** The releases kept: the current one and the one before it. */
const KEEP_RELEASES = 2;
/** Copies of the database taken before an update that are kept. */
const KEEP_BACKUPS = 2;
export const UPDATE_BACKUPS_DIR = 'updates';

/**
 * `hearth update`: unpack beside the current release, stop the hub, copy the database, switch
 * `<prefix>/current`, start, and wait for the new version to answer healthy. If it does not
 * within the time, put back the previous release and the database as it was before the new
 * release migrated it, and start that again. The update record tells the hub that starts what
 * happened (it audits the install, and tells the owners about a rollback).
 */
export async function runUpdate(o: UpdateOptions): Promise<UpdateResult> {
  const from = currentVersion(o.prefix);
  if (!from)
    throw new FatalError(`no current release in ${o.prefix} (${join(o.prefix, CURRENT_LINK)} is not a link into ${RELEASES_DIR}/); install first`, EXIT.usage);
  const download = mkdtempSync(join(tmpdir(), 'hearth-update-'));
  let to: string;
  try {
    const tarball = await fetchRelease(o.source, download);
    to = unpackRelease(tarball, o.sha256, o.prefix, from).manifest.version;
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  o.say(`unpacked ${to} into ${join(o.prefix, RELEASES_DIR, to)}; stopping the hub (${o.control.kind})`);
  await o.control.stop();

  const record: UpdateRecord = {
    id: newId('upd'),
    from,
    to,
    sha256: o.sha256.toLowerCase(),
    backup: '',
    started_at: isoTime(systemClock.now()),
    state: 'switching',
    announced: false,
  };
  withStoppedHub(o.dataDir, () => {
    // Audited first, so the copy (what a rollback brings back) holds the entry too.
    record.backup = join(o.dataDir, UPDATE_BACKUPS_DIR, `hearth-${record.started_at.replace(/[:.]/g, '-')}-${from}-before-${to}.db`);
    audit(o.dataDir, o.actor, 'hub.update.started', record, { from, to, sha256: record.sha256, backup: basename(record.backup) });
    backupDatabase(o.dataDir, record.backup);
    writeUpdateRecord(o.dataDir, record);
    matchOwner(join(o.dataDir, UPDATE_RECORD_FILE), o.dataDir);
  });
  o.say(`database copied to ${record.backup}; starting ${to}`);
  switchCurrent(o.prefix, to);

  const reason = await startAndWait(o, to);
  if (reason === undefined) {
    writeUpdateRecord(o.dataDir, { ...record, state: 'done', finished_at: isoTime(systemClock.now()) });
    matchOwner(join(o.dataDir, UPDATE_RECORD_FILE), o.dataDir);
    prune(o.prefix, o.dataDir, [to, from]);
    o.say(`${to} is running and healthy`);
    return { status: 'updated', from, to };
  }

  o.say(`${to} did not become healthy (${reason}); rolling back to ${from}`);
  await o.control.stop();
  withStoppedHub(o.dataDir, () => {
    restoreDatabase(o.dataDir, record.backup);
    audit(o.dataDir, o.actor, 'hub.update.rolled_back', record, { from, to, reason, backup: basename(record.backup) });
    writeUpdateRecord(o.dataDir, { ...record, state: 'rolled_back', reason, finished_at: isoTime(systemClock.now()) });
    matchOwner(join(o.dataDir, UPDATE_RECORD_FILE), o.dataDir);
  });
  switchCurrent(o.prefix, from);
  const again = await startAndWait(o, from);
  if (again !== undefined) {
    writeUpdateRecord(o.dataDir, { ...record, state: 'rollback_failed', reason: `${reason}; then ${from} did not start either: ${again}` });
    matchOwner(join(o.dataDir, UPDATE_RECORD_FILE), o.dataDir);
    throw new FatalError(`${to} did not become healthy (${reason}), and ${from} did not start again after the rollback: ${again}`, EXIT.software);
  }
  o.say(`rolled back: ${from} is running again with the database from before the update`);
  return { status: 'rolled_back', from, to, reason };
}

export function currentVersion(prefix: string): string | undefined {
  try {
    const target = readlinkSync(join(prefix, CURRENT_LINK));
    const m = /(?:^|\/)releases\/([^/]+)\/?$/.exec(target);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** Points `<prefix>/current` at a release: a new link renamed over the old, so it is never missing. */
export function switchCurrent(prefix: string, version: string): void {
  const tmp = join(prefix, `.current-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(join(RELEASES_DIR, version), tmp);
  renameSync(tmp, join(prefix, CURRENT_LINK));
}

/** Undefined once `GET /api/v1/health` answers with `version` and a status that is up; else why not. */
async function startAndWait(o: UpdateOptions, version: string): Promise<string | undefined> {
  const { exited } = o.control.start();
  let gone: string | undefined;
  void exited.then((why) => (gone = why));
  const deadline = Date.now() + o.timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (gone !== undefined) return gone;
    try {
      const res = await fetch(o.healthUrl, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { status?: string; version?: string };
      if (res.ok && body.version === version && (body.status === 'ok' || body.status === 'degraded')) return undefined;
      last = `health answered ${res.status} ${body.status ?? '?'} for version ${body.version ?? '?'}`;
    } catch (err) {
      last = `health did not answer: ${errorMessage(err)}`;
    }
    await sleep(250);
  }
  return gone ?? `not healthy within ${Math.round(o.timeoutMs / 1000)} s (${last})`;
}

/** Holds the data directory's lock (no hub can start meanwhile) while the updater writes to it. */
function withStoppedHub(dataDir: string, work: () => void): void {
  const lock = new DataDirLock(dataDir);
  lock.acquire();
  try {
    work();
  } finally {
    lock.release();
  }
}

function backupDatabase(dataDir: string, file: string): void {
  mkdirSync(join(dataDir, UPDATE_BACKUPS_DIR), { recursive: true, mode: 0o700 });
  matchOwner(join(dataDir, UPDATE_BACKUPS_DIR), dataDir);
  withDb(join(dataDir, DATABASE_FILE), (db) => db.prepare('VACUUM INTO ?').run(file));
  chmodSync(file, 0o600);
  matchOwner(file, dataDir);
}

function restoreDatabase(dataDir: string, backup: string): void {
  const target = join(dataDir, DATABASE_FILE);
  const staged = `${target}.restore-${process.pid}`;
  copyFileSync(backup, staged);
  chmodSync(staged, 0o600);
  matchOwner(staged, dataDir);
  for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  renameSync(staged, target);
}

function audit(dataDir: string, actor: string, kind: string, record: UpdateRecord, data: Record<string, unknown>): void {
  const path = join(dataDir, DATABASE_FILE);
  withDb(path, (db) => new AuditTrail(db, systemClock).append({ actor, origin: 'cli', kind, subject: record.id, data }));
  for (const extra of [`${path}-wal`, `${path}-shm`]) if (existsSync(extra)) matchOwner(extra, dataDir); // SQLite keeps them at times
}

/** Keeps the releases named (the current one and the one before), and the newest database copies. */
function prune(prefix: string, dataDir: string, keep: string[]): void {
  const releases = join(prefix, RELEASES_DIR);
  for (const name of readdirSync(releases)) {
    if (!keep.slice(0, KEEP_RELEASES).includes(name) && !name.startsWith('.')) rmSync(join(releases, name), { recursive: true, force: true });
  }
  const dir = join(dataDir, UPDATE_BACKUPS_DIR);
  if (!existsSync(dir)) return;
  const copies = readdirSync(dir)
    .filter((f) => f.endsWith('.db'))
    .sort();
  for (const f of copies.slice(0, Math.max(0, copies.length - KEEP_BACKUPS))) rmSync(join(dir, f), { force: true });
}
