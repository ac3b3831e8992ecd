import { isoTime } from '../core/clock.js';
import type { NotificationView } from './model.js';
import { actionsOf, type NotificationRow, type Outbox } from './outbox.js';

/** Views: notifications as the API and the UI show them, with their deliveries. */
export class NotificationViews {
  constructor(private readonly outbox: Outbox) {}

  view(row: NotificationRow, onlyMember?: string): NotificationView {
    const deliveries = this.outbox.deliveriesOf(row.id).filter((d) => !onlyMember || d.member_id === onlyMember);
    return {
      id: row.id,
      kind: row.kind,
      severity: row.severity,
      text: row.text,
      actions: actionsOf(row),
      subject: row.subject,
      count: row.count,
      state: row.state,
      ack_by: row.ack_by,
      created_at: isoTime(row.created_at),
      deliveries: deliveries.map((d) => ({
        id: d.id,
        member_id: d.member_id,
        channel: d.channel,
        status: d.status,
        attempts: d.attempts,
        step: d.step,
        next_attempt_at: d.status === 'queued' ? isoTime(d.next_attempt_at) : null,
        release_at: d.release_at ? isoTime(d.release_at) : null,
        delivered_at: d.delivered_at ? isoTime(d.delivered_at) : null,
        last_error: d.last_error,
      })),
    };
  }

  list(filter: { member_id?: string; limit?: number; before?: string } = {}): NotificationView[] {
    const before = filter.before ? Date.parse(filter.before) : undefined;
    return this.outbox
      .list({ member_id: filter.member_id, limit: Math.min(filter.limit ?? 50, 500), before: Number.isFinite(before) ? before : undefined })
      .map((r) => this.view(r, filter.member_id));
  }

  get(id: string): NotificationView | undefined {
    const row = this.outbox.notification(id);
    return row ? this.view(row) : undefined;
  }
}
