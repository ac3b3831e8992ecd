import { errorMessage } from '../core/errors.js';
import type { Enqueuer, RouterCore } from './enqueue.js';
import { commitsFor } from '../store/commits.js';
import type { NotificationInput } from './model.js';
import { actionsOf, type NotificationRow } from './outbox.js';

/** A notification someone took, and the other people it had reached. */
interface Taken {
  row: NotificationRow;
  others: string[];
}

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
   * are edited where the channel can, and the others are told who took it. One synchronous
   * commit (it takes whatever waits for the group commit with it, in order).
   */
  acknowledge(target: { id?: string; subject?: string }, memberId: string, via: string, outcome?: string): boolean {
    const taken = commitsFor(this.core.ctx.store.db).now(() => this.take(target, memberId, via));
    for (const t of taken) this.tell(t, memberId, via, outcome, (input) => void this.enqueue.notify(input));
    return taken.length > 0;
  }

  /**
   * `acknowledge` in this turn's group commit (for the gate's events, which must not wait for
   * the disk): resolves once it is on disk; only then are the sent messages edited and the
   * others told.
   */
  async acknowledgeLater(target: { id?: string; subject?: string }, memberId: string, via: string, outcome?: string): Promise<boolean> {
    const taken = await commitsFor(this.core.ctx.store.db).later(() => this.take(target, memberId, via));
    await Promise.all(taken.map((t) => this.tell(t, memberId, via, outcome, (input) => this.enqueue.notifyLater(input))));
    return taken.length > 0;
  }

  /** Marks the open ones taken and cancels their unsent messages (inside a transaction); the rows taken and who else saw them. */
  private take(target: { id?: string; subject?: string }, memberId: string, via: string): Taken[] {
    const { ctx, outbox } = this.core;
    const rows = target.id ? [outbox.notification(target.id)].filter((r): r is NotificationRow => r !== undefined) : outbox.openBySubject(target.subject ?? '');
    const now = ctx.clock.now();
    const taken: Taken[] = [];
    for (const row of rows) {
      if (!outbox.acknowledge(row.id, memberId, via, now)) continue;
      outbox.cancelPending(row.id, now);
      const others = new Set(
        outbox
          .deliveriesOf(row.id)
          .filter((d) => d.status === 'delivered' && d.member_id !== memberId)
          .map((d) => d.member_id),
      );
      taken.push({ row, others: [...others] });
    }
    return taken;
  }

  /** After the commit: the event, the sent messages edited, and the others told who took it. */
  private tell({ row, others }: Taken, memberId: string, via: string, outcome: string | undefined, notify: (input: NotificationInput) => unknown): unknown {
    const { ctx, members } = this.core;
    ctx.bus.emit('notification.acknowledged', { id: row.id, subject: row.subject, by: memberId, via });
    const line = outcome ?? `${members.get(memberId)?.display_name ?? memberId} took it.`;
    void this.editDelivered(row, `${row.text}\n\n${line}`);
    if (others.length === 0 || row.kind.startsWith('approval.')) return undefined;
    return notify({
      kind: 'notify.taken',
      severity: 'info',
      text: `${line} (${firstLine(row.text)})`,
      subject: row.subject ?? undefined,
      audience: { members: others },
    });
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
    const closed = commitsFor(this.core.ctx.store.db).now(() => this.closeRows(subject));
    if (text) for (const row of closed) void this.editDelivered(row, `${row.text}\n\n${text}`);
  }

  /** `close` in this turn's group commit; the sent messages are edited once it is on disk. */
  async closeLater(subject: string, text?: string): Promise<void> {
    const closed = await commitsFor(this.core.ctx.store.db).later(() => this.closeRows(subject));
    if (text) for (const row of closed) void this.editDelivered(row, `${row.text}\n\n${text}`);
  }

  /** Closes the open ones and cancels their unsent messages (inside a transaction); the rows closed. */
  private closeRows(subject: string): NotificationRow[] {
    const { ctx, outbox } = this.core;
    const now = ctx.clock.now();
    const closed: NotificationRow[] = [];
    for (const row of outbox.openBySubject(subject)) {
      if (!outbox.close(row.id, now)) continue;
      outbox.cancelPending(row.id, now);
      closed.push(row);
    }
    return closed;
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
