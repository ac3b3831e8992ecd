import { z } from 'zod';
import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { usageKindSchema, type UsageKind } from '../config/sections/usage.js';
import type { Settings } from '../config/schema.js';
import { usageErrors } from './errors.js';

export { usageKindSchema, type UsageKind };

/** The month (YYYY-MM) an instant falls in, in the home's time zone. */
export function monthOf(ms: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit' }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}`;
}

export const usageRowSchema = z.object({
  member_id: z.string(),
  kind: usageKindSchema,
  used: z.number().int(),
  reserved: z.number().int().describe('held by requests in flight'),
  cap: z.number().int().nullable().describe('null: no cap'),
  requests: z.number().int(),
  refused: z.number().int().describe('requests refused because the cap was reached'),
});
export type UsageRow = z.infer<typeof usageRowSchema>;

export interface Reservation {
  id: string;
  member_id: string;
  kind: UsageKind;
  month: string;
  amount: number;
}

/** What crossing a threshold looks like, for the owner's alert. */
export interface ThresholdCrossed {
  member_id: string;
  kind: UsageKind;
  month: string;
  threshold: number;
  used: number;
  cap: number;
}

const UNITS: Record<UsageKind, string> = { llm_tokens: 'language-model tokens', call_minutes: 'call minutes', sms: 'text messages' };
export const unitOf = (kind: UsageKind): string => UNITS[kind];

/**
 * Counts usage and holds caps. Every change is one SQLite transaction taken with BEGIN
 * IMMEDIATE, so a reservation checks and takes its share of the cap at once: concurrent
 * requests (in this process or another on the same file) cannot together pass the cap.
 */
export class UsageLedger {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: () => Settings,
    private readonly onThreshold: (t: ThresholdCrossed) => void = () => undefined,
  ) {}

  month(at = this.clock.now()): string {
    return monthOf(at, this.settings().hub.timezone);
  }

  capOf(memberId: string, kind: UsageKind): number | null {
    const u = this.settings().usage;
    const own = u.member_caps[memberId]?.[kind];
    return own !== undefined ? own : u.caps[kind];
  }

  /** Reserves `amount` before spending; refused (429, USAGE_CAP_REACHED) when it would pass the cap. */
  reserve(memberId: string, kind: UsageKind, amount: number): Reservation {
    const month = this.month();
    const cap = this.capOf(memberId, kind);
    const amt = Math.max(0, Math.ceil(amount));
    const r: Reservation = { id: newId('use'), member_id: memberId, kind, month, amount: amt };
    const refusedAt = this.db
      .transaction(() => {
        this.ensureRow(memberId, month, kind);
        const row = this.counter(memberId, month, kind);
        if (cap !== null && row.used + row.reserved + amt > cap) {
          this.db.prepare('UPDATE usage_counters SET refused = refused + 1 WHERE member_id = ? AND month = ? AND kind = ?').run(memberId, month, kind);
          return row.used;
        }
        this.db
          .prepare('UPDATE usage_counters SET reserved = reserved + ?, requests = requests + 1 WHERE member_id = ? AND month = ? AND kind = ?')
          .run(amt, memberId, month, kind);
        this.db
          .prepare('INSERT INTO usage_reservations (id, member_id, month, kind, amount, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(r.id, memberId, month, kind, amt, this.clock.now());
        return undefined;
      })
      .immediate();
    if (refusedAt !== undefined) {
      this.checkThresholds(memberId, month, kind, cap!, cap!);
      throw usageErrors.error('USAGE_CAP_REACHED', `this month's allowance of ${unitOf(kind)} is used up (${refusedAt} of ${cap})`, {
        kind,
        used: refusedAt,
        cap,
      });
    }
    return r;
  }

  /** Turns a reservation into what was actually spent (at most what was reserved is released). */
  settle(r: Reservation, actual: number): void {
    const spent = Math.max(0, Math.ceil(actual));
    const done = this.db
      .transaction(() => {
        if (this.db.prepare('DELETE FROM usage_reservations WHERE id = ?').run(r.id).changes === 0) return false;
        this.db
          .prepare('UPDATE usage_counters SET reserved = MAX(0, reserved - ?), used = used + ? WHERE member_id = ? AND month = ? AND kind = ?')
          .run(r.amount, spent, r.member_id, r.month, r.kind);
        return true;
      })
      .immediate();
    if (done) this.afterSpend(r.member_id, r.month, r.kind);
  }

  /** Gives a reservation back unspent (the request failed before costing anything). */
  release(r: Reservation): void {
    this.settle(r, 0);
  }

  /** Counts usage that had no reservation (a call's minutes after it ended). */
  record(memberId: string, kind: UsageKind, amount: number): void {
    const month = this.month();
    this.db
      .transaction(() => {
        this.ensureRow(memberId, month, kind);
        this.db
          .prepare('UPDATE usage_counters SET used = used + ?, requests = requests + 1 WHERE member_id = ? AND month = ? AND kind = ?')
          .run(Math.max(0, Math.ceil(amount)), memberId, month, kind);
      })
      .immediate();
    this.afterSpend(memberId, month, kind);
  }

  /** Releases reservations left by a crash (at start): nothing is in flight then. */
  releaseStale(): number {
    return this.db
      .transaction(() => {
        const rows = this.db.prepare('SELECT id, member_id, month, kind, amount FROM usage_reservations').all() as Reservation[];
        for (const r of rows)
          this.db
            .prepare('UPDATE usage_counters SET reserved = MAX(0, reserved - ?) WHERE member_id = ? AND month = ? AND kind = ?')
            .run(r.amount, r.member_id, r.month, r.kind);
        this.db.prepare('DELETE FROM usage_reservations').run();
        return rows.length;
      })
      .immediate();
  }

  /** Usage of a month, every member and kind that has any, with their caps. */
  list(month: string, memberId?: string): UsageRow[] {
    const rows = this.db
      .prepare(
        `SELECT member_id, kind, used, reserved, requests, refused FROM usage_counters WHERE month = ? ${memberId ? 'AND member_id = ?' : ''} ORDER BY member_id, kind`,
      )
      .all(...(memberId ? [month, memberId] : [month])) as Omit<UsageRow, 'cap'>[];
    return rows.map((r) => ({ ...r, cap: this.capOf(r.member_id, r.kind) }));
  }

  /** Drops months older than `usage.months_kept`. */
  prune(): void {
    const keep = this.settings().usage.months_kept;
    const d = new Date(this.clock.now());
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() - keep);
    const oldest = monthOf(d.getTime(), 'UTC');
    this.db.prepare('DELETE FROM usage_counters WHERE month < ?').run(oldest);
    this.db.prepare('DELETE FROM usage_alerts WHERE month < ?').run(oldest);
  }

  private ensureRow(memberId: string, month: string, kind: UsageKind): void {
    this.db.prepare('INSERT OR IGNORE INTO usage_counters (member_id, month, kind) VALUES (?, ?, ?)').run(memberId, month, kind);
  }

  private counter(memberId: string, month: string, kind: UsageKind): { used: number; reserved: number } {
    return this.db.prepare('SELECT used, reserved FROM usage_counters WHERE member_id = ? AND month = ? AND kind = ?').get(memberId, month, kind) as {
      used: number;
      reserved: number;
    };
  }

  private afterSpend(memberId: string, month: string, kind: UsageKind): void {
    const cap = this.capOf(memberId, kind);
    if (cap === null || cap === 0) return;
    this.checkThresholds(memberId, month, kind, this.counter(memberId, month, kind).used, cap);
  }

  /** Each threshold is told once per member, kind and month (the row's primary key says so). */
  private checkThresholds(memberId: string, month: string, kind: UsageKind, used: number, cap: number): void {
    for (const threshold of [...this.settings().usage.alert_at].sort()) {
      if (used < threshold * cap) continue;
      const fresh =
        this.db
          .prepare('INSERT OR IGNORE INTO usage_alerts (member_id, month, kind, threshold, at) VALUES (?, ?, ?, ?, ?)')
          .run(memberId, month, kind, threshold, this.clock.now()).changes === 1;
      if (fresh) this.onThreshold({ member_id: memberId, kind, month, threshold, used, cap });
    }
  }
}
