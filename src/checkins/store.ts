import type { Db } from '../store/database.js';
import { isoTime } from '../core/clock.js';
import { checkinBodySchema, type AttemptView, type CheckinBody, type CheckinView, type Outcome } from './model.js';

export interface CheckinRow {
  id: string;
  member_id: string;
  doc: string;
  enabled: number;
  next_due_at: number | null;
  created_at: number;
  updated_at: number;
}
export interface AttemptRow {
  id: string;
  checkin_id: string;
  member_id: string;
  state: AttemptView['state'];
  outcome: Outcome | null;
  said: string | null;
  /** The model's one line on what was said; null without a model. */
  summary: string | null;
  tries: number;
  next_call_at: number | null;
  notification_id: string | null;
  escalation_kind: string | null;
  escalated_at: number | null;
  all_clear_at: number | null;
  /** JSON array of the member ids the relay texted about this attempt while the hub was away. */
  relay_told: string | null;
  started_at: number;
  updated_at: number;
}
export interface CallRow {
  id: string;
  attempt_id: string;
  sid: string | null;
  status: string;
  answered_by: string | null;
  said: string | null;
  digits: string | null;
  outcome: Outcome | null;
  ended: number;
  created_at: number;
  updated_at: number;
}

export type Checkin = CheckinBody & { id: string; next_due_at: number | null; created_at: number };

/** Rows of the check-ins part; every write is one statement or one transaction. */
export class CheckinStore {
  constructor(readonly db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- check-ins -------------------------------------------------------------------------
  insert(id: string, body: CheckinBody, nextDue: number | null, now: number): void {
    this.db
      .prepare('INSERT INTO checkins (id, member_id, doc, enabled, next_due_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, body.member_id, JSON.stringify(body), body.enabled ? 1 : 0, nextDue, now, now);
  }
  update(id: string, body: CheckinBody, nextDue: number | null, now: number): void {
    this.db
      .prepare('UPDATE checkins SET doc = ?, enabled = ?, next_due_at = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(body), body.enabled ? 1 : 0, nextDue, now, id);
  }
  setNextDue(id: string, nextDue: number | null, now: number): void {
    this.db.prepare('UPDATE checkins SET next_due_at = ?, updated_at = ? WHERE id = ?').run(nextDue, now, id);
  }
  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM checkins WHERE id = ?').run(id).changes > 0;
  }
  get(id: string): Checkin | undefined {
    const row = this.db.prepare('SELECT * FROM checkins WHERE id = ?').get(id) as CheckinRow | undefined;
    return row ? toCheckin(row) : undefined;
  }
  list(memberId?: string): Checkin[] {
    const rows = (
      memberId
        ? this.db.prepare('SELECT * FROM checkins WHERE member_id = ? ORDER BY created_at').all(memberId)
        : this.db.prepare('SELECT * FROM checkins ORDER BY created_at LIMIT 500').all()
    ) as CheckinRow[];
    return rows.map(toCheckin);
  }
  due(now: number): Checkin[] {
    return (
      this.db
        .prepare('SELECT * FROM checkins WHERE enabled = 1 AND next_due_at IS NOT NULL AND next_due_at <= ? ORDER BY next_due_at LIMIT 50')
        .all(now) as CheckinRow[]
    ).map(toCheckin);
  }

  // ---- attempts ----------------------------------------------------------------------------
  insertAttempt(a: Pick<AttemptRow, 'id' | 'checkin_id' | 'member_id' | 'started_at'>): void {
    this.db
      .prepare(
        "INSERT INTO checkin_attempts (id, checkin_id, member_id, state, tries, next_call_at, started_at, updated_at) VALUES (?, ?, ?, 'calling', 0, ?, ?, ?)",
      )
      .run(a.id, a.checkin_id, a.member_id, a.started_at, a.started_at, a.started_at);
  }
  attempt(id: string): AttemptRow | undefined {
    return this.db.prepare('SELECT * FROM checkin_attempts WHERE id = ?').get(id) as AttemptRow | undefined;
  }
  attemptsOf(checkinId: string, limit = 50): AttemptRow[] {
    return this.db
      .prepare('SELECT * FROM checkin_attempts WHERE checkin_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?')
      .all(checkinId, limit) as AttemptRow[];
  }
  dueCalls(now: number): AttemptRow[] {
    return this.db
      .prepare(
        "SELECT * FROM checkin_attempts WHERE state IN ('calling', 'waiting') AND next_call_at IS NOT NULL AND next_call_at <= ? ORDER BY next_call_at LIMIT 20",
      )
      .all(now) as AttemptRow[];
  }
  openEscalations(memberId: string): AttemptRow[] {
    return this.db.prepare("SELECT * FROM checkin_attempts WHERE member_id = ? AND state = 'escalated' AND all_clear_at IS NULL").all(memberId) as AttemptRow[];
  }
  setAttempt(id: string, fields: Partial<Omit<AttemptRow, 'id' | 'checkin_id' | 'member_id' | 'started_at'>>, now: number): void {
    const keys = Object.keys(fields);
    this.db
      .prepare(`UPDATE checkin_attempts SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @updated_at WHERE id = @id`)
      .run({ ...fields, id, updated_at: now });
  }

  // ---- calls -------------------------------------------------------------------------------
  insertCall(id: string, attemptId: string, now: number): void {
    this.db.prepare("INSERT INTO checkin_calls (id, attempt_id, status, created_at, updated_at) VALUES (?, ?, 'placing', ?, ?)").run(id, attemptId, now, now);
  }
  call(id: string): CallRow | undefined {
    return this.db.prepare('SELECT * FROM checkin_calls WHERE id = ?').get(id) as CallRow | undefined;
  }
  callBySid(sid: string): CallRow | undefined {
    return this.db.prepare('SELECT * FROM checkin_calls WHERE sid = ?').get(sid) as CallRow | undefined;
  }
  callsOf(attemptId: string): CallRow[] {
    return this.db.prepare('SELECT * FROM checkin_calls WHERE attempt_id = ? ORDER BY created_at, rowid').all(attemptId) as CallRow[];
  }
  /** Calls not ended: placed before a crash, or whose last webhook never came. */
  unfinishedCalls(): CallRow[] {
    return this.db.prepare('SELECT * FROM checkin_calls WHERE ended = 0 ORDER BY created_at LIMIT 200').all() as CallRow[];
  }
  setCall(id: string, fields: Partial<Omit<CallRow, 'id' | 'attempt_id' | 'created_at'>>, now: number): void {
    const keys = Object.keys(fields);
    this.db
      .prepare(`UPDATE checkin_calls SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @updated_at WHERE id = @id`)
      .run({ ...fields, id, updated_at: now });
  }

  /** Attempts older than the cut-off go, with their calls. */
  prune(before: number): void {
    this.transaction(() => {
      this.db
        .prepare("DELETE FROM checkin_calls WHERE attempt_id IN (SELECT id FROM checkin_attempts WHERE started_at < ? AND state IN ('done', 'escalated'))")
        .run(before);
      this.db.prepare("DELETE FROM checkin_attempts WHERE started_at < ? AND state IN ('done', 'escalated')").run(before);
    });
  }
}

function toCheckin(row: CheckinRow): Checkin {
  return { ...checkinBodySchema.parse(JSON.parse(row.doc)), id: row.id, next_due_at: row.next_due_at, created_at: row.created_at };
}

export function checkinView(c: Checkin): CheckinView {
  return {
    id: c.id,
    member_id: c.member_id,
    times: c.times,
    days: c.days ?? ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    phone: c.phone ?? null,
    language: c.language,
    escalate_to: c.escalate_to,
    retries: c.retries,
    retry_after_min: c.retry_after_min,
    enabled: c.enabled,
    next_due_at: c.next_due_at ? isoTime(c.next_due_at) : null,
    created_at: isoTime(c.created_at),
  };
}
