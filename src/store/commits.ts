import type Database from 'better-sqlite3';
import { closeSync, fstatSync, fsync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

type Db = Database.Database;

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** How a file's written pages reach the disk: `fs.fsync`, run on libuv's thread pool. */
export type FileSync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/**
 * Group commit for the FULL connection. Writes handed to `later()` during one turn of the event
 * loop are run together, each in its own savepoint, in ONE transaction; the turn's single COMMIT
 * (one fsync) makes them all durable, and only then does each `later()` promise resolve. So
 * whoever awaits `later()` acts on something that is already on disk, and a hundred actions in
 * one turn cost one fsync instead of a hundred.
 *
 * `now()` is the synchronous form: it commits whatever is waiting together with its own work,
 * in order, before it returns. Inside someone else's transaction it simply runs there.
 * One queue per connection (`commitsFor(db)`), so the audit trail, the gate and the workflows
 * share each commit and their writes keep their order.
 *
 * The fsync of a group commit does not hold the event loop: on a WAL connection with
 * synchronous=FULL, the turn's transaction commits with synchronous=NORMAL (its frames are
 * written to the WAL file, no fsync), then the WAL file is fsynced on libuv's thread pool, and
 * only when that returns do the `later()` promises resolve. Durable before anyone acts, as with
 * FULL (FULL in WAL mode is exactly an fsync of the WAL at each commit), while the hub goes on
 * serving during the disk's wait. An fsync that fails rejects its batch (nobody acts on it) and
 * every later group commit goes back to synchronous FULL. `now()` and every other transaction on
 * the connection keep synchronous FULL. While one group commit's fsync is in flight the next
 * waits for it, so that under load each commit carries everything one fsync's wait gathered.
 */
export class CommitGroup {
  private queue: Pending[] = [];
  private scheduled?: NodeJS.Immediate;
  /**
   * Commits made, writes they carried, the time the event loop spent in them, and the time their
   * fsyncs took off the event loop (the benches report these).
   */
  readonly stats = { commits: 0, writes: 0, ms: 0, maxMs: 0, syncs: 0, syncMs: 0 };
  private readonly wal?: { path: string; normal: Database.Statement; full: Database.Statement };
  private walFd?: number;
  private syncing = 0;
  private closing = false;
  /** Set when an fsync failed: from then on group commits are synchronous FULL commits. */
  private syncFailed?: unknown;
  private fileSync: FileSync = fsync;
  private onLoop = false;
  /**
   * Writes wait for the fsync in flight, then all go in the next commit. Under load a commit then
   * carries everything that came during one fsync: fewer commits, fewer WAL frames (pages that
   * every write touches, such as the audit head, are written once per commit) and fewer fsyncs,
   * for at most one fsync's wait more. Idle, nothing is in flight and a write commits at once.
   */
  private behindSync = false;
  /** Waiting for every fsync in flight (whenDurable). */
  private durableWaiters: (() => void)[] = [];
  /**
   * Runs a function in a transaction, or in a savepoint inside one. Made once: better-sqlite3
   * builds a new wrapper (and its four variants) on every `db.transaction()` call, which cost more
   * than the writes themselves when a turn's group commit carries hundreds of them.
   */
  private readonly inTransaction: <T>(work: () => T) => T;
  /** The same, opened with BEGIN IMMEDIATE (the group commit's own transaction). */
  private readonly immediate: (work: () => void) => void;

  constructor(private readonly db: Db) {
    const run = db.transaction((work: () => unknown) => work());
    this.inTransaction = <T>(work: () => T) => run(work) as T;
    this.immediate = (work) => run.immediate(work);
    const walFull = !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal' && db.pragma('synchronous', { simple: true }) === 2;
    if (walFull) {
      this.wal = { path: `${db.name}-wal`, normal: db.prepare('PRAGMA synchronous = NORMAL'), full: db.prepare('PRAGMA synchronous = FULL') };
    }
  }

  /** With true, group commits are plain synchronous FULL commits again (the gate bench compares both). */
  fsyncOnEventLoop(on: boolean): void {
    this.onLoop = on;
  }

  /** Group-commit fsyncs still running: their rows are visible but not yet on disk. */
  get fsyncsInFlight(): number {
    return this.syncing;
  }

  /**
   * Runs `fn` once every group commit made so far is on disk: at once when no fsync is in flight.
   * A group commit's rows are visible to readers of this connection before its fsync returns, so
   * whoever copies them off the box (the link's outbox pump) waits for this first: the relay must
   * never hold an entry that a power cut could take from the hub.
   */
  whenDurable(fn: () => void): void {
    if (this.syncing === 0) fn();
    else this.durableWaiters.push(fn);
  }

  /** Replaces the fsync (tests make the disk fail with it). */
  useFileSync(sync: FileSync): void {
    this.fileSync = sync;
  }

  /** Runs `work` in the next group commit; resolves with its result once that commit returned. */
  later<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.behindSync) this.scheduled ??= setImmediate(() => this.flushTurn());
    });
  }

  /** Runs `work` now, committed together with everything waiting, before returning (or throwing). */
  now<T>(work: () => T): T {
    if (this.db.inTransaction) return work();
    const own: { ok?: T; err?: unknown; failed?: boolean } = {};
    const error = this.commit(() => {
      try {
        own.ok = this.inTransaction(work);
      } catch (err) {
        own.failed = true;
        own.err = err;
      }
    });
    if (error !== undefined) throw error;
    if (own.failed) throw own.err;
    return own.ok as T;
  }

  /** Commits what is waiting now, with synchronous FULL (a no-op when nothing is); for closing. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.queue.length === 0 || !this.db.open) {
      this.rejectAll(new Error('the database is closed'));
      return;
    }
    if (this.db.inTransaction) {
      // Someone holds a transaction open across turns: wait for the next one.
      this.scheduled = setImmediate(() => this.flushTurn());
      return;
    }
    this.commit(() => {}); // a failed COMMIT rejects every waiting promise: their callers act on nothing
  }

  /** The turn's group commit: the WAL's fsync off the event loop when the connection allows it. */
  private flushTurn(): void {
    this.scheduled = undefined;
    if (!this.wal || this.onLoop || this.syncFailed !== undefined || this.closing || this.queue.length === 0 || !this.db.open || this.db.inTransaction) {
      this.flush();
      return;
    }
    if (this.syncing > 0) {
      // An fsync is in flight: what waits now goes in one commit as soon as it returns.
      this.behindSync = true;
      return;
    }
    const wal = this.wal;
    wal.normal.run();
    let settle: ((err?: unknown) => void) | undefined;
    try {
      this.commit(
        () => {},
        (s) => (settle = s),
      );
    } finally {
      wal.full.run();
    }
    if (settle) this.syncWal(settle);
  }

  /** fsyncs the WAL file on the thread pool, then settles the batch committed before it. */
  private syncWal(settle: (err?: unknown) => void): void {
    let fd: number;
    try {
      fd = this.walFile();
    } catch (err) {
      this.syncFailed = err;
      settle(err);
      return;
    }
    this.syncing++;
    const t0 = performance.now();
    this.fileSync(fd, (err) => {
      this.syncing--;
      this.stats.syncs++;
      this.stats.syncMs += performance.now() - t0;
      if (err) this.syncFailed = err;
      if (this.closing && this.syncing === 0) this.closeWalFile();
      settle(err ?? undefined);
      if (this.syncing === 0 && this.behindSync) {
        this.behindSync = false;
        if (this.queue.length > 0) this.scheduled ??= setImmediate(() => this.flushTurn());
      }
      if (this.syncing === 0 && this.durableWaiters.length > 0) {
        const waiting = this.durableWaiters;
        this.durableWaiters = [];
        for (const fn of waiting) fn();
      }
    });
  }

  /** The WAL file, opened once (again if SQLite replaced it). */
  private walFile(): number {
    if (this.walFd !== undefined && fstatSync(this.walFd).nlink > 0) return this.walFd;
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    this.walFd = openSync(this.wal!.path, 'r');
    return this.walFd;
  }

  /** Commits what waits, synchronously, and lets go of the WAL file once its last fsync returned (Store.close()). */
  close(): void {
    this.flush();
    this.closing = true;
    if (this.syncing === 0) this.closeWalFile();
  }

  private closeWalFile(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  /**
   * One transaction for the waiting writes and `extra`; returns the error when it did not commit.
   * With `defer`, the batch's promises are settled by the function it is handed (after the fsync).
   */
  private commit(extra: () => void, defer?: (settle: (err?: unknown) => void) => void): unknown {
    const batch = this.queue;
    this.queue = [];
    const results: { ok: boolean; value: unknown }[] = [];
    const t0 = performance.now();
    try {
      this.immediate(() => {
        for (const p of batch) {
          try {
            results.push({ ok: true, value: this.inTransaction(p.work) });
          } catch (err) {
            results.push({ ok: false, value: err });
          }
        }
        extra();
      });
    } catch (err) {
      // The COMMIT (or BEGIN) failed: nothing of the batch is on disk.
      for (const p of batch) p.reject(err);
      return err;
    }
    const ms = performance.now() - t0;
    this.stats.commits++;
    this.stats.writes += batch.length;
    this.stats.ms += ms;
    this.stats.maxMs = Math.max(this.stats.maxMs, ms);
    const settle = (err?: unknown) =>
      batch.forEach((p, i) => (err !== undefined ? p.reject(err) : results[i]!.ok ? p.resolve(results[i]!.value) : p.reject(results[i]!.value)));
    if (defer) defer(settle);
    else settle();
    return undefined;
  }

  private rejectAll(err: Error): void {
    const batch = this.queue;
    this.queue = [];
    for (const p of batch) p.reject(err);
  }
}

const groups = new WeakMap<Db, CommitGroup>();

/** The one commit group of a connection. */
export function commitsFor(db: Db): CommitGroup {
  let g = groups.get(db);
  if (!g) groups.set(db, (g = new CommitGroup(db)));
  return g;
}
