import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import { commitsFor, type CommitGroup } from '../store/commits.js';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import { GENESIS_HASH, entryHash, entryHashOf, type AuditEntry, type Origin } from './entry.js';
import { canonicalJson } from '../core/canonical-json.js';

declare module '../core/bus.js' {
  interface HubEvents {
    'audit.appended': AuditEntry;
  }
}

export interface AuditInput {
  actor: string;
  origin: Origin;
  kind: string;
  subject?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  kind?: string; // exact, or a prefix ending in '.' or '*' (auth.*)
  subject?: string;
  /** Entries about one entity: its own (entity.updated) and the actions on it (data.action.entity_id). */
  entity?: string;
  since?: string;
  until?: string;
  /** Entries with seq below this (newest first paging). */
  before?: number;
  limit?: number;
}

export type VerifyResult =
  { ok: true; count: number; head: { seq: number; hash: string } | null } | { ok: false; count: number; broken: { seq: number; reason: string } };

/** Runs inside the append's transaction (the link's outbox uses this to stay in step). */
export type AppendHook = (entry: AuditEntry) => void;

type Row = Omit<AuditEntry, 'data'> & { data: string };

/**
 * The append-only, hash-chained trail. Appends read the head inside an IMMEDIATE
 * transaction, so that a CLI command and the hub appending at once still chain correctly.
 * Entries appended durably in one turn of the event loop share one commit (src/store/commits.ts).
 */
export class AuditTrail {
  private readonly insert: Statement;
  private readonly head: Statement;
  private readonly setHead: Statement;
  private readonly hooks: AppendHook[] = [];
  private readonly commits: CommitGroup;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly bus?: EventBus,
  ) {
    this.insert = db.prepare(
      'INSERT INTO audit (seq, at, actor, origin, kind, subject, data, prev_hash, hash) VALUES (@seq, @at, @actor, @origin, @kind, @subject, @data, @prev_hash, @hash)',
    );
    this.head = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.setHead = db.prepare('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash');
    this.commits = commitsFor(db);
  }

  /** Writes one entry after the head; runs inside a transaction (the group's or the caller's). */
  private write(input: AuditInput): AuditEntry {
    const last = this.head.get() as { seq: number; hash: string } | undefined;
    const base = {
      seq: (last?.seq ?? 0) + 1,
      at: isoTime(this.clock.now()),
      actor: input.actor,
      origin: input.origin,
      kind: input.kind,
      subject: input.subject ?? null,
      data: input.data ?? {},
      prev_hash: last?.hash ?? GENESIS_HASH,
    };
    const data = canonicalJson(base.data);
    const entry: AuditEntry = { ...base, hash: entryHashOf(base, data) };
    this.insert.run({ ...entry, data });
    this.setHead.run(entry.seq, entry.hash);
    for (const hook of this.hooks) hook(entry);
    return entry;
  }

  /** Appends one entry durably; when this returns, the entry is on disk (with any entries waiting for the group commit before it). */
  append(input: AuditInput): AuditEntry {
    const entry = this.commits.now(() => this.write(input));
    this.bus?.emit('audit.appended', entry);
    return entry;
  }

  /**
   * Appends one entry in this turn's group commit; resolves once that commit returned, so the
   * entry is on disk before whoever awaits it acts. Entries of one turn share one fsync.
   */
  async appendDurably(input: AuditInput): Promise<AuditEntry> {
    const entry = await this.commits.later(() => this.write(input));
    this.bus?.emit('audit.appended', entry);
    return entry;
  }

  onAppendInTransaction(hook: AppendHook): void {
    this.hooks.push(hook);
  }

  /** Runs `work` and the audit append in one transaction: both land or neither does. */
  withEntry<T>(input: AuditInput, work: () => T): { result: T; entry: AuditEntry } {
    const done = this.commits.now(() => ({ result: work(), entry: this.write(input) }));
    this.bus?.emit('audit.appended', done.entry);
    return done;
  }

  /** `withEntry` in this turn's group commit: resolves once both are on disk, rejects (neither landed) if `work` throws. */
  async withEntryDurably<T>(input: AuditInput, work: () => T): Promise<{ result: T; entry: AuditEntry }> {
    const done = await this.commits.later(() => ({ result: work(), entry: this.write(input) }));
    this.bus?.emit('audit.appended', done.entry);
    return done;
  }

  get(seq: number): AuditEntry | undefined {
    const row = this.db.prepare('SELECT * FROM audit WHERE seq = ?').get(seq) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
  }

  /** Newest first, with a cursor (`before`) for the next page. */
  list(query: AuditQuery = {}): { entries: AuditEntry[]; next_before: number | null } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.actor) {
      where.push('actor = @actor');
      params.actor = query.actor;
    }
    if (query.kind) {
      if (query.kind.endsWith('*') || query.kind.endsWith('.')) {
        where.push("kind LIKE @kind ESCAPE '\\'");
        params.kind = `${query.kind.replace(/\*$/, '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      } else {
        where.push('kind = @kind');
        params.kind = query.kind;
      }
    }
    if (query.subject) {
      where.push('subject = @subject');
      params.subject = query.subject;
    }
    if (query.entity) {
      where.push("(subject = @entity OR json_extract(data, '$.action.entity_id') = @entity)");
      params.entity = query.entity;
    }
    if (query.since) {
      where.push('at >= @since');
      params.since = query.since;
    }
    if (query.until) {
      where.push('at <= @until');
      params.until = query.until;
    }
    if (query.before) {
      where.push('seq < @before');
      params.before = query.before;
    }
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit + 1}`;
    const rows = (this.db.prepare(sql).all(params) as Row[]).map(fromRow);
    const more = rows.length > limit;
    const entries = more ? rows.slice(0, limit) : rows;
    return { entries, next_before: more ? entries[entries.length - 1]!.seq : null };
  }

  /**
   * Oldest first, a page at a time: no statement stays open between pages, so a slow
   * reader (an HTTP export) never blocks the connection for writers.
   */
  *iterate(fromSeq = 1): Generator<AuditEntry> {
    const page = this.db.prepare('SELECT * FROM audit WHERE seq >= ? ORDER BY seq LIMIT 500');
    let next = fromSeq;
    for (;;) {
      const rows = page.all(next) as Row[];
      for (const row of rows) yield fromRow(row);
      if (rows.length < 500) return;
      next = rows[rows.length - 1]!.seq + 1;
    }
  }

  /** Walks the whole chain; names the first entry that was edited, removed or moved. */
  verify(): VerifyResult {
    let prev = GENESIS_HASH;
    let expected = 1;
    let count = 0;
    for (const row of this.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<Row>) {
      let entry: AuditEntry;
      try {
        entry = fromRow(row);
      } catch {
        return { ok: false, count, broken: { seq: row.seq, reason: 'its data is not valid JSON (edited)' } };
      }
      if (entry.seq !== expected) {
        return { ok: false, count, broken: { seq: expected, reason: `entry ${expected} is missing (deleted); the next entry is ${entry.seq}` } };
      }
      if (entry.prev_hash !== prev) {
        return { ok: false, count, broken: { seq: entry.seq, reason: 'its prev_hash does not match the entry before it (removed or reordered)' } };
      }
      const { hash, ...rest } = entry;
      if (entryHash(rest) !== hash) {
        return { ok: false, count, broken: { seq: entry.seq, reason: 'its content does not match its hash (edited)' } };
      }
      prev = hash;
      expected++;
      count++;
    }
    const head = this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
    if (head && (head.seq !== count || head.hash !== prev)) {
      const seq = head.seq > count ? count + 1 : head.seq;
      return { ok: false, count, broken: { seq, reason: `the trail ends at ${count} but its head records entry ${head.seq} (entries cut off the end)` } };
    }
    if (!head && count > 0) return { ok: false, count, broken: { seq: count, reason: 'the head record is missing' } };
    return { ok: true, count, head: count ? { seq: count, hash: prev } : null };
  }
}

function fromRow(row: Row): AuditEntry {
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> } as AuditEntry;
}

const CSV_COLUMNS = ['seq', 'at', 'actor', 'origin', 'kind', 'subject', 'data', 'prev_hash', 'hash'] as const;

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

export function csvLine(entry: AuditEntry): string {
  return `${CSV_COLUMNS.map((c) => csvCell(c === 'data' ? JSON.stringify(entry.data) : entry[c])).join(',')}\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  // A cell starting with = + - @ is a formula to spreadsheets; quote it so it stays text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) || s !== String(value) ? `"${s.replace(/"/g, '""')}"` : s;
}
