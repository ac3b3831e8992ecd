import type Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';

type Db = Database.Database;

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

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
 */
export class CommitGroup {
  private queue: Pending[] = [];
  private scheduled?: NodeJS.Immediate;
  /** Commits made, writes they carried, and the time spent in them (the benches report these). */
  readonly stats = { commits: 0, writes: 0, ms: 0, maxMs: 0 };

  constructor(private readonly db: Db) {}

  /** Runs `work` in the next group commit; resolves with its result once that commit returned. */
  later<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Runs `work` now, committed together with everything waiting, before returning (or throwing). */
  now<T>(work: () => T): T {
    if (this.db.inTransaction) return work();
    const own: { ok?: T; err?: unknown; failed?: boolean } = {};
    const error = this.commit(() => {
      try {
        own.ok = this.db.transaction(work)();
      } catch (err) {
        own.failed = true;
        own.err = err;
      }
    });
    if (error !== undefined) throw error;
    if (own.failed) throw own.err;
    return own.ok as T;
  }

  /** Commits what is waiting (a no-op when nothing is). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.queue.length === 0 || !this.db.open) {
      this.rejectAll(new Error('the database is closed'));
      return;
    }
    if (this.db.inTransaction) {
      // Someone holds a transaction open across turns: wait for the next one.
      this.scheduled = setImmediate(() => this.flush());
      return;
    }
    this.commit(() => {}); // a failed COMMIT rejects every waiting promise: their callers act on nothing
  }

  /** One transaction for the waiting writes and `extra`; returns the error when it did not commit. */
  private commit(extra: () => void): unknown {
    const batch = this.queue;
    this.queue = [];
    const results: { ok: boolean; value: unknown }[] = [];
    const t0 = performance.now();
    try {
      this.db
        .transaction(() => {
          for (const p of batch) {
            try {
              results.push({ ok: true, value: this.db.transaction(p.work)() });
            } catch (err) {
              results.push({ ok: false, value: err });
            }
          }
          extra();
        })
        .immediate();
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
    batch.forEach((p, i) => (results[i]!.ok ? p.resolve(results[i]!.value) : p.reject(results[i]!.value)));
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
