import { errorMessage } from '../core/errors.js';
import type { Enqueuer, RouterCore } from './enqueue.js';
import { actionsOf, type NotificationRow } from './outbox.js';

/**
 * Acknowledge: someone took it, answered it, or it is over; the ladder stops, unsent messages
 * are cancelled and sent ones edited where the channel can.
 */
export class Acknowledger {
  constructor(
    private readonly core: RouterCore,
    private readonly enqueue: Enqueuer,
  ) {}

  /**
   * Someone took it: the ladder stops for everyone, unsent messages are cancelled, sent ones
   * are edited where the channel can, and the others are told who took it.
   */
  acknowledge(target: { id?: string; subject?: string }, memberId: string, via: string, outcome?: string): boolean {
    const { ctx, outbox, members } = this.core;
    const rows = target.id ? [outbox.notification(target.id)].filter((r): r is NotificationRow => r !== undefined) : outbox.openBySubject(target.subject ?? '');
    const now = ctx.clock.now();
    const who = members.get(memberId)?.display_name ?? memberId;
    let any = false;
    for (const row of rows) {
      if (!outbox.acknowledge(row.id, memberId, via, now)) continue;
      any = true;
      outbox.cancelPending(row.id, now);
      ctx.bus.emit('notification.acknowledged', { id: row.id, subject: row.subject, by: memberId, via });
      const line = outcome ?? `${who} took it.`;
      void this.editDelivered(row, `${row.text}\n\n${line}`);
      const others = [
        ...new Set(
          outbox
            .deliveriesOf(row.id)
            .filter((d) => d.status === 'delivered' && d.member_id !== memberId)
            .map((d) => d.member_id),
        ),
      ];
      if (others.length > 0 && !row.kind.startsWith('approval.')) {
        this.enqueue.notify({
          kind: 'notify.taken',
          severity: 'info',
          text: `${line} (${firstLine(row.text)})`,
          subject: row.subject ?? undefined,
          audience: { members: others },
        });
      }
    }
    return any;
  }

  /**
   * Answers a question: the member's choice (its index among the buttons) is the answer, and
   * the question is taken for everyone. False when it was already answered or is not a choice.
   */
  answer(id: string, memberId: string, via: string, index: number): boolean {
    const row = this.core.outbox.notification(id);
    if (!row || row.state !== 'open') return false;
    const choice = actionsOf(row)[index];
    if (choice?.kind !== 'choice') return false;
    const who = this.core.members.get(memberId)?.display_name ?? memberId;
    if (!this.acknowledge({ id }, memberId, via, `${who} answered: ${choice.label}.`)) return false;
    this.core.ctx.bus.emit('notification.answered', { id, subject: row.subject, by: memberId, via, value: choice.value, label: choice.label });
    return true;
  }

  /** The thing is over without anyone taking it (the door closed, the approval expired). */
  close(subject: string, text?: string): void {
    const { ctx, outbox } = this.core;
    const now = ctx.clock.now();
    for (const row of outbox.openBySubject(subject)) {
      if (!outbox.close(row.id, now)) continue;
      outbox.cancelPending(row.id, now);
      if (text) void this.editDelivered(row, `${row.text}\n\n${text}`);
    }
  }

  /** Edits the messages already sent for a notification (buttons removed). Best effort. */
  async editDelivered(row: NotificationRow, text: string): Promise<void> {
    for (const d of this.core.outbox.deliveriesOf(row.id)) {
      const channel = this.core.channels.get(d.channel);
      if (d.status !== 'delivered' || !d.message_ref || !channel?.edit) continue;
      try {
        await channel.edit(d.message_ref, text, []);
      } catch (err) {
        this.core.log.warn({ delivery: d.id, err: errorMessage(err) }, 'could not edit a sent message');
      }
    }
  }
}

const firstLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 120);
