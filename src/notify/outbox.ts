import { commitsFor } from '../store/commits.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import { statementCache } from '../store/statements.js';
import type { DeliveryStatus, NotificationAction, Severity } from './model.js';

export interface NotificationRow {
  id: string;
  kind: string;
  severity: Severity;
  text: string;
  actions: string;
  /** Who the ladder may reach: { exclude, ladder_roles } as JSON. */
  meta: string;
  subject: string | null;
  dedup_key: string | null;
  count: number;
  escalate: number;
  step: number;
  next_escalation_at: number | null;
  state: 'open' | 'acknowledged' | 'closed';
  ack_by: string | null;
  ack_via: string | null;
  ack_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface DeliveryRow {
  id: string;
  notification_id: string;
  member_id: string;
  channel: string;
  idem_key: string;
  step: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  release_at: number | null;
  message_ref: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export const actionsOf = (row: NotificationRow): NotificationAction[] => JSON.parse(row.actions) as NotificationAction[];

/** The outbox's SQL, in one place; every write is a single statement or a transaction. */
export class Outbox {
  /** Each statement compiled once (the SQL built in `setStatus` and `list` comes from a few fixed shapes). */
  private readonly q: (sql: string) => Statement;

  constructor(private readonly db: Db) {
    this.q = statementCache(db);
  }

  /** A synchronous commit, in order with the connection's group commit (whatever waits for it commits first, in the same transaction). */
  transaction<T>(fn: () => T): T {
    return commitsFor(this.db).now(fn);
  }

  insertNotification(row: NotificationRow): void {
    this.q(
      `INSERT INTO notifications (id, kind, severity, text, actions, meta, subject, dedup_key, count, escalate, step, next_escalation_at, state, ack_by, ack_via, ack_at, created_at, updated_at)
         VALUES (@id, @kind, @severity, @text, @actions, @meta, @subject, @dedup_key, @count, @escalate, @step, @next_escalation_at, @state, @ack_by, @ack_via, @ack_at, @created_at, @updated_at)`,
    ).run(row);
  }

  /** Inserts unless a delivery with the same idempotency key exists; true when inserted. */
  insertDelivery(row: DeliveryRow): boolean {
    const r = this.q(
      `INSERT OR IGNORE INTO deliveries (id, notification_id, member_id, channel, idem_key, step, status, attempts, next_attempt_at, release_at, message_ref, last_error, created_at, updated_at, delivered_at)
         VALUES (@id, @notification_id, @member_id, @channel, @idem_key, @step, @status, @attempts, @next_attempt_at, @release_at, @message_ref, @last_error, @created_at, @updated_at, @delivered_at)`,
    ).run(row);
    return r.changes === 1;
  }

  findDuplicate(dedupKey: string, since: number): NotificationRow | undefined {
    return this.q("SELECT * FROM notifications WHERE dedup_key = ? AND created_at >= ? AND state = 'open' ORDER BY created_at DESC LIMIT 1").get(
      dedupKey,
      since,
    ) as NotificationRow | undefined;
  }

  countDuplicate(id: string, text: string, now: number): void {
    this.q('UPDATE notifications SET count = count + 1, text = ?, updated_at = ? WHERE id = ?').run(text, now, id);
  }

  notification(id: string): NotificationRow | undefined {
    return this.q('SELECT * FROM notifications WHERE id = ?').get(id) as NotificationRow | undefined;
  }

  openBySubject(subject: string): NotificationRow[] {
    return this.q("SELECT * FROM notifications WHERE subject = ? AND state = 'open'").all(subject) as NotificationRow[];
  }

  bySubject(subject: string): NotificationRow[] {
    return this.q('SELECT * FROM notifications WHERE subject = ? ORDER BY created_at').all(subject) as NotificationRow[];
  }

  delivery(id: string): DeliveryRow | undefined {
    return this.q('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
  }

  deliveriesOf(notificationId: string): DeliveryRow[] {
    return this.q('SELECT * FROM deliveries WHERE notification_id = ? ORDER BY created_at, id').all(notificationId) as DeliveryRow[];
  }

  /** Queued ones whose time has come, and held ones whose quiet hours are over. Urgent first. */
  due(now: number, limit: number): (DeliveryRow & { severity: Severity })[] {
    return this.q(
      `SELECT d.*, n.severity FROM deliveries d JOIN notifications n ON n.id = d.notification_id
         WHERE (d.status = 'queued' AND d.next_attempt_at <= @now) OR (d.status = 'held' AND d.release_at <= @now)
         ORDER BY CASE n.severity WHEN 'urgent' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, d.next_attempt_at, d.id LIMIT @limit`,
    ).all({ now, limit }) as (DeliveryRow & { severity: Severity })[];
  }

  /** Next time something is due (for tests and the health line). */
  pendingCount(): number {
    return (this.q("SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('queued', 'held', 'sending')").get() as { n: number }).n;
  }

  setStatus(
    id: string,
    status: DeliveryStatus,
    now: number,
    fields: Partial<Pick<DeliveryRow, 'attempts' | 'next_attempt_at' | 'message_ref' | 'last_error' | 'delivered_at'>> = {},
  ): void {
    const sets = ['status = @status', 'updated_at = @now'];
    for (const k of Object.keys(fields)) sets.push(`${k} = @${k}`);
    this.q(`UPDATE deliveries SET ${sets.join(', ')} WHERE id = @id`).run({ id, status, now, ...fields });
  }

  /** After a crash: a send may or may not have reached the channel; try again (at-least-once). */
  requeueSending(now: number): number {
    return this.q("UPDATE deliveries SET status = 'queued', next_attempt_at = ?, updated_at = ? WHERE status = 'sending'").run(now, now).changes;
  }

  dueEscalations(now: number): NotificationRow[] {
    return this.q(
      "SELECT * FROM notifications WHERE state = 'open' AND escalate = 1 AND next_escalation_at IS NOT NULL AND next_escalation_at <= ? ORDER BY next_escalation_at LIMIT 50",
    ).all(now) as NotificationRow[];
  }

  setEscalation(id: string, step: number, next: number | null, now: number): void {
    this.q('UPDATE notifications SET step = ?, next_escalation_at = ?, updated_at = ? WHERE id = ?').run(step, next, now, id);
  }

  /** Marks it taken; false when it was not open (someone else took it first). */
  acknowledge(id: string, by: string, via: string, now: number): boolean {
    return (
      this.q(
        "UPDATE notifications SET state = 'acknowledged', ack_by = ?, ack_via = ?, ack_at = ?, next_escalation_at = NULL, updated_at = ? WHERE id = ? AND state = 'open'",
      ).run(by, via, now, now, id).changes === 1
    );
  }

  close(id: string, now: number): boolean {
    return (
      this.q("UPDATE notifications SET state = 'closed', next_escalation_at = NULL, updated_at = ? WHERE id = ? AND state = 'open'").run(now, id).changes === 1
    );
  }

  /** Messages not yet sent are no longer needed once someone took it. */
  cancelPending(notificationId: string, now: number): number {
    return this.q("UPDATE deliveries SET status = 'cancelled', updated_at = ? WHERE notification_id = ? AND status IN ('queued', 'held')").run(
      now,
      notificationId,
    ).changes;
  }

  list(filter: { member_id?: string; limit: number; before?: number }): NotificationRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit };
    if (filter.member_id) {
      where.push('id IN (SELECT notification_id FROM deliveries WHERE member_id = @member)');
      params.member = filter.member_id;
    }
    if (filter.before) {
      where.push('created_at < @before');
      params.before = filter.before;
    }
    return this.q(`SELECT * FROM notifications ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT @limit`).all(
      params,
    ) as NotificationRow[];
  }

  prune(before: number): number {
    return this.q("DELETE FROM notifications WHERE state != 'open' AND updated_at < ?").run(before).changes;
  }
}
