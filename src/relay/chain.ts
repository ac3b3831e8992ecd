import { auditEntrySchema, entryHash, GENESIS_HASH, type AuditEntry } from '../audit/entry.js';
import type { Db, TxExecutor } from './db.js';

export type ChainVerdict = 'appended' | 'duplicate' | 'buffered' | 'broken';

export interface ChainHead {
  hub_id: string;
  seq: number;
  hash: string;
  broken: { seq: number; reason: string } | null;
  waiting: number;
}

const MAX_WAITING = 10_000;

interface HeadRow {
  hub_id: string;
  seq: number;
  hash: string;
  broken_seq: number | null;
  broken_reason: string | null;
}

const DDL = `
  CREATE TABLE IF NOT EXISTS audit_heads (hub_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, broken_seq BIGINT, broken_reason TEXT);
  CREATE TABLE IF NOT EXISTS audit_entries (hub_id TEXT NOT NULL, seq BIGINT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (hub_id, seq));
  CREATE TABLE IF NOT EXISTS audit_waiting (hub_id TEXT NOT NULL, seq BIGINT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (hub_id, seq));
`;

/**
 * The relay's copy of each hub's audit trail, checked as it arrives: seq without gaps,
 * prev_hash matching the entry before, hash matching the content. Entries that arrive early
 * (another relay of the group took the one before) wait, bounded, until the gap fills.
 * Relays sharing the store take turns per hub: each arrival is one transaction that first
 * takes the hub's lock (an advisory lock on PostgreSQL), then reads and moves the head.
 * The relay needs none of the hub's secrets for this: the chain is public-verifiable.
 */
export class AuditChains {
  private constructor(private readonly db: Db) {}

  static async open(db: Db): Promise<AuditChains> {
    await db.exec(DDL);
    return new AuditChains(db);
  }

  async accept(hubId: string, raw: unknown): Promise<ChainVerdict> {
    const parsed = auditEntrySchema.safeParse(raw);
    if (!parsed.success) return 'broken';
    const entry = parsed.data;
    return this.db.tx(async (q): Promise<ChainVerdict> => {
      await q.lock(`audit-chain:${hubId}`);
      const head = await this.head(q, hubId);
      if (entry.seq <= head.seq) return 'duplicate';
      if (entry.seq > head.seq + 1) {
        const waiting = (await q.one<{ n: number }>('SELECT COUNT(*) AS n FROM audit_waiting WHERE hub_id = $1', [hubId]))!.n;
        if (waiting >= MAX_WAITING) {
          await this.markBroken(q, hubId, head.seq + 1, `entry ${head.seq + 1} never arrived`);
          return 'broken';
        }
        const r = await q.run('INSERT INTO audit_waiting (hub_id, seq, entry) VALUES ($1, $2, $3) ON CONFLICT (hub_id, seq) DO NOTHING', [
          hubId,
          entry.seq,
          JSON.stringify(entry),
        ]);
        return r.changes ? 'buffered' : 'duplicate';
      }
      let verdict = await this.append(q, hubId, head, entry);
      // Drain entries that were waiting for this one.
      for (let h = { seq: entry.seq, hash: entry.hash }; ;) {
        const next = await q.one<{ entry: string }>('DELETE FROM audit_waiting WHERE hub_id = $1 AND seq = $2 RETURNING entry', [hubId, h.seq + 1]);
        if (!next) break;
        const e = JSON.parse(next.entry) as AuditEntry;
        if ((await this.append(q, hubId, h, e)) === 'broken') verdict = 'broken';
        h = { seq: e.seq, hash: e.hash };
      }
      return verdict;
    });
  }

  async heads(): Promise<ChainHead[]> {
    const rows = await this.db.query<HeadRow>('SELECT * FROM audit_heads ORDER BY hub_id');
    return Promise.all(rows.map((r) => this.toHead(r)));
  }

  async headOf(hubId: string): Promise<ChainHead> {
    const row = await this.db.one<HeadRow>('SELECT * FROM audit_heads WHERE hub_id = $1', [hubId]);
    return row ? this.toHead(row) : { hub_id: hubId, seq: 0, hash: GENESIS_HASH, broken: null, waiting: 0 };
  }

  async entries(hubId: string, fromSeq = 1, limit = 500): Promise<AuditEntry[]> {
    const rows = await this.db.query<{ entry: string }>('SELECT entry FROM audit_entries WHERE hub_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3', [
      hubId,
      fromSeq,
      limit,
    ]);
    return rows.map((r) => JSON.parse(r.entry) as AuditEntry);
  }

  private async toHead(r: HeadRow): Promise<ChainHead> {
    const waiting = (await this.db.one<{ n: number }>('SELECT COUNT(*) AS n FROM audit_waiting WHERE hub_id = $1', [r.hub_id]))!.n;
    return {
      hub_id: r.hub_id,
      seq: r.seq,
      hash: r.hash,
      broken: r.broken_seq === null ? null : { seq: r.broken_seq, reason: r.broken_reason ?? '' },
      waiting,
    };
  }

  private async head(q: TxExecutor, hubId: string): Promise<{ seq: number; hash: string }> {
    return (await q.one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_heads WHERE hub_id = $1', [hubId])) ?? { seq: 0, hash: GENESIS_HASH };
  }

  private async append(q: TxExecutor, hubId: string, head: { seq: number; hash: string }, entry: AuditEntry): Promise<ChainVerdict> {
    const { hash, ...rest } = entry;
    let problem: string | undefined;
    if (entry.prev_hash !== head.hash) problem = 'its prev_hash does not match the entry before it';
    else if (entryHash(rest) !== hash) problem = 'its content does not match its hash';
    // The copy is kept either way, so the damage can be examined; the head moves on.
    await q.run('INSERT INTO audit_entries (hub_id, seq, entry) VALUES ($1, $2, $3) ON CONFLICT (hub_id, seq) DO NOTHING', [
      hubId,
      entry.seq,
      JSON.stringify(entry),
    ]);
    await q.run('INSERT INTO audit_heads (hub_id, seq, hash) VALUES ($1, $2, $3) ON CONFLICT (hub_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash', [
      hubId,
      entry.seq,
      entry.hash,
    ]);
    if (problem) {
      await this.markBroken(q, hubId, entry.seq, problem);
      return 'broken';
    }
    return 'appended';
  }

  private async markBroken(q: TxExecutor, hubId: string, seq: number, reason: string): Promise<void> {
    await q.run(
      'INSERT INTO audit_heads (hub_id, seq, hash, broken_seq, broken_reason) VALUES ($1, 0, $2, $3, $4) ON CONFLICT (hub_id) DO UPDATE SET broken_seq = COALESCE(audit_heads.broken_seq, excluded.broken_seq), broken_reason = COALESCE(audit_heads.broken_reason, excluded.broken_reason)',
      [hubId, GENESIS_HASH, seq, reason],
    );
  }
}
