import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';

/**
 * Ids seen until they expire, bounded: when full of live ids, new ones are refused rather
 * than forgetting a live one (forgetting would let a replay through).
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly capacity = 10_000) {}

  /** 'ok' and remembered, 'replayed', or 'full'. */
  remember(id: string, expiresAt: number, now: number): 'ok' | 'replayed' | 'full' {
    const prev = this.seen.get(id);
    if (prev !== undefined && prev > now) return 'replayed';
    if (this.seen.size >= this.capacity) this.prune(now);
    if (this.seen.size >= this.capacity) return 'full';
    this.seen.set(id, expiresAt);
    return 'ok';
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [id, exp] of this.seen) if (exp <= now) this.seen.delete(id);
  }
}

/**
 * The same, kept in SQLite (`link_seen_commands`, ids under a prefix), so that a request
 * captured on the broker is still refused after the hub restarts. Bounded like the memory one.
 */
export class SqliteReplay {
  private readonly insert: Statement;
  private readonly prune: Statement;
  private readonly count: Statement;
  private calls = 0;
  constructor(
    private readonly db: Db,
    private readonly prefix: string,
    private readonly capacity = 100_000,
  ) {
    this.insert = db.prepare('INSERT OR IGNORE INTO link_seen_commands (id, expires_at) VALUES (?, ?)');
    this.prune = db.prepare('DELETE FROM link_seen_commands WHERE expires_at <= ?');
    this.count = db.prepare('SELECT COUNT(*) AS n FROM link_seen_commands');
  }

  remember(id: string, expiresAt: number, now: number): 'ok' | 'replayed' | 'full' {
    if (++this.calls % 100 === 0) this.prune.run(now);
    return this.db
      .transaction(() => {
        if (this.insert.run(`${this.prefix}${id}`, expiresAt).changes === 0) return 'replayed' as const;
        if ((this.count.get() as { n: number }).n > this.capacity) {
          this.prune.run(now);
          if ((this.count.get() as { n: number }).n > this.capacity) {
            this.db.prepare('DELETE FROM link_seen_commands WHERE id = ?').run(`${this.prefix}${id}`);
            return 'full' as const;
          }
        }
        return 'ok' as const;
      })
      .immediate();
  }
}
