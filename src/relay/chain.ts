import Database from 'better-sqlite3';
import { auditEntrySchema, entryHash, GENESIS_HASH, type AuditEntry } from '../audit/entry.js';

export type ChainVerdict = 'appended' | 'duplicate' | 'buffered' | 'broken';

export interface ChainHead {
  hub_id: string;
  seq: number;
  hash: string;
  broken: { seq: number; reason: string } | null;
  waiting: number;
}

const MAX_WAITING = 10_000;

/**
 * The relay's copy of each hub's audit trail, checked as it arrives: seq without gaps,
 * prev_hash matching the entry before, hash matching the content. Entries that arrive early
 * (another relay of the group took the one before) wait, bounded, until the gap fills. Relays
 * on one host may share the file (WAL, IMMEDIATE transactions); without a file it is in memory.
 * The relay needs none of the hub's secrets for this: the chain is public-verifiable.
 */
export class AuditChains {
  private readonly db: Database.Database;

  constructor(file?: string) {
    this.db = new Database(file ?? ':memory:');
    if (file) this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS heads (hub_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, broken_seq INTEGER, broken_reason TEXT);
      CREATE TABLE IF NOT EXISTS entries (hub_id TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (hub_id, seq));
      CREATE TABLE IF NOT EXISTS waiting (hub_id TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (hub_id, seq));
    `);
  }

  accept(hubId: string, raw: unknown): ChainVerdict {
    const parsed = auditEntrySchema.safeParse(raw);
    if (!parsed.success) return 'broken';
    const entry = parsed.data;
    return this.db
      .transaction((): ChainVerdict => {
        const head = this.head(hubId);
        if (entry.seq <= head.seq) return 'duplicate';
        if (entry.seq > head.seq + 1) {
          const waiting = (this.db.prepare('SELECT COUNT(*) AS n FROM waiting WHERE hub_id = ?').get(hubId) as { n: number }).n;
          if (waiting >= MAX_WAITING) {
            this.markBroken(hubId, head.seq + 1, `entry ${head.seq + 1} never arrived`);
            return 'broken';
          }
          const r = this.db.prepare('INSERT OR IGNORE INTO waiting (hub_id, seq, entry) VALUES (?, ?, ?)').run(hubId, entry.seq, JSON.stringify(entry));
          return r.changes ? 'buffered' : 'duplicate';
        }
        let verdict = this.append(hubId, head, entry);
        // Drain entries that were waiting for this one.
        for (;;) {
          const h = this.head(hubId);
          const next = this.db.prepare('SELECT entry FROM waiting WHERE hub_id = ? AND seq = ?').get(hubId, h.seq + 1) as { entry: string } | undefined;
          if (!next) break;
          this.db.prepare('DELETE FROM waiting WHERE hub_id = ? AND seq = ?').run(hubId, h.seq + 1);
          const v = this.append(hubId, h, JSON.parse(next.entry) as AuditEntry);
          if (v === 'broken') verdict = 'broken';
        }
        return verdict;
      })
      .immediate();
  }

  heads(): ChainHead[] {
    const rows = this.db.prepare('SELECT * FROM heads ORDER BY hub_id').all() as {
      hub_id: string;
      seq: number;
      hash: string;
      broken_seq: number | null;
      broken_reason: string | null;
    }[];
    return rows.map((r) => this.toHead(r));
  }

  headOf(hubId: string): ChainHead {
    const row = this.db.prepare('SELECT * FROM heads WHERE hub_id = ?').get(hubId) as
      { hub_id: string; seq: number; hash: string; broken_seq: number | null; broken_reason: string | null } | undefined;
    return row ? this.toHead(row) : { hub_id: hubId, seq: 0, hash: GENESIS_HASH, broken: null, waiting: 0 };
  }

  entries(hubId: string, fromSeq = 1, limit = 500): AuditEntry[] {
    return (
      this.db.prepare('SELECT entry FROM entries WHERE hub_id = ? AND seq >= ? ORDER BY seq LIMIT ?').all(hubId, fromSeq, limit) as { entry: string }[]
    ).map((r) => JSON.parse(r.entry) as AuditEntry);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private toHead(r: { hub_id: string; seq: number; hash: string; broken_seq: number | null; broken_reason: string | null }): ChainHead {
    const waiting = (this.db.prepare('SELECT COUNT(*) AS n FROM waiting WHERE hub_id = ?').get(r.hub_id) as { n: number }).n;
    return { hub_id: r.hub_id, seq: r.seq, hash: r.hash, broken: r.broken_seq === null ? null : { seq: r.broken_seq, reason: r.broken_reason ?? '' }, waiting };
  }

  private head(hubId: string): { seq: number; hash: string } {
    return (
      (this.db.prepare('SELECT seq, hash FROM heads WHERE hub_id = ?').get(hubId) as { seq: number; hash: string } | undefined) ?? {
        seq: 0,
        hash: GENESIS_HASH,
      }
    );
  }

  private append(hubId: string, head: { seq: number; hash: string }, entry: AuditEntry): ChainVerdict {
    const { hash, ...rest } = entry;
    let problem: string | undefined;
    if (entry.prev_hash !== head.hash) problem = 'its prev_hash does not match the entry before it';
    else if (entryHash(rest) !== hash) problem = 'its content does not match its hash';
    // The copy is kept either way, so the damage can be examined; the head moves on.
    this.db.prepare('INSERT OR IGNORE INTO entries (hub_id, seq, entry) VALUES (?, ?, ?)').run(hubId, entry.seq, JSON.stringify(entry));
    this.db
      .prepare('INSERT INTO heads (hub_id, seq, hash) VALUES (?, ?, ?) ON CONFLICT(hub_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash')
      .run(hubId, entry.seq, entry.hash);
    if (problem) {
      this.markBroken(hubId, entry.seq, problem);
      return 'broken';
    }
    return 'appended';
  }

  private markBroken(hubId: string, seq: number, reason: string): void {
    this.db
      .prepare(
        'INSERT INTO heads (hub_id, seq, hash, broken_seq, broken_reason) VALUES (?, 0, ?, ?, ?) ON CONFLICT(hub_id) DO UPDATE SET broken_seq = COALESCE(heads.broken_seq, excluded.broken_seq), broken_reason = COALESCE(heads.broken_reason, excluded.broken_reason)',
      )
      .run(hubId, GENESIS_HASH, seq, reason);
  }
}
