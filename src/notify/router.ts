import type { HubContext } from '../part/context.js';
import type { Service, ComponentHealth } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { Member } from '../members/model.js';
import type { MemberDirectory, NotificationChannel, NotificationInput, NotificationView } from './model.js';
import { Outbox, type NotificationRow } from './outbox.js';
import { PreferenceStore } from './preferences.js';
import { Enqueuer, type NotifyResult, type RouterCore } from './enqueue.js';
import { Ladder } from './ladder.js';
import { Acknowledger } from './acknowledge.js';
import { SendPump } from './pump.js';
import { NotificationViews } from './views.js';

export type { NotifyResult } from './enqueue.js';

/**
 * The notification router: every message to a person goes through `notify()` (or
 * `notifyLater()`, which joins the turn's group commit instead of committing on its own). It
 * writes the notification and one delivery per person (idempotency key
 * notification:member:channel) in one transaction, then a pump sends what is due, never
 * before its rows are on disk. A delivery found `sending` at start-up is
 * sent again: delivery is at-least-once, and a crash between the channel accepting a message
 * and the row turning `delivered` can show that one message twice.
 *
 * It composes five pieces, a file each: enqueue (`enqueue.ts`), the escalation ladder
 * (`ladder.ts`), acknowledge (`acknowledge.ts`), the send pump (`pump.ts`) and the views
 * (`views.ts`); it keeps the channels and the lifecycle.
 */
export class NotificationRouter implements Service {
  readonly name = 'notify';
  readonly outbox: Outbox;
  readonly preferences: PreferenceStore;
  private readonly channels = new Map<string, NotificationChannel>();
  private readonly expected = new Map<string, Pick<NotificationChannel, 'name' | 'canReachLater'>>();
  private readonly log: Logger;
  private readonly enqueue: Enqueuer;
  private readonly acks: Acknowledger;
  private readonly pump: SendPump;
  private readonly views: NotificationViews;

  constructor(
    private readonly ctx: HubContext,
    members: MemberDirectory,
  ) {
    this.outbox = new Outbox(ctx.store.db);
    this.preferences = new PreferenceStore(ctx.store.db, ctx.clock);
    this.log = ctx.log.child({ part: 'notify' });
    const core: RouterCore = {
      ctx,
      members,
      outbox: this.outbox,
      preferences: this.preferences,
      log: this.log,
      channels: this.channels,
      willReach: (name, member) => this.willReach(name, member),
      kick: () => this.kick(),
    };
    this.enqueue = new Enqueuer(core);
    this.acks = new Acknowledger(core, this.enqueue);
    this.pump = new SendPump(core, new Ladder(core, this.enqueue));
    this.views = new NotificationViews(this.outbox);
  }

  /**
   * A channel that is configured but not up yet (the bot starts after the router): messages for
   * it wait. A channel never announced (Telegram without a token) is not waited for.
   */
  expectChannel(channel: Pick<NotificationChannel, 'name' | 'canReachLater'>): void {
    this.expected.set(channel.name, channel);
  }

  /** A channel announced but not up yet that will reach the member once it is (the channel says). */
  private willReach(name: string, member: Member): boolean {
    const later = this.expected.get(name);
    return later !== undefined && (later.canReachLater?.(member) ?? true);
  }

  registerChannel(channel: NotificationChannel): () => void {
    this.channels.set(channel.name, channel);
    this.kick();
    return () => {
      if (this.channels.get(channel.name) === channel) this.channels.delete(channel.name);
    };
  }

  start(): void {
    const n = this.outbox.requeueSending(this.ctx.clock.now());
    if (n > 0) this.log.warn({ count: n }, 'deliveries interrupted while sending are sent again (at-least-once)');
    this.pump.start();
  }

  async stop(): Promise<void> {
    await this.pump.stop();
  }

  health(): ComponentHealth {
    const pending = this.outbox.pendingCount();
    const lastError = this.pump.lastError;
    return lastError && pending > 0
      ? { status: 'degraded', detail: `${pending} message(s) waiting; last send error: ${lastError}` }
      : { status: 'ok', detail: `${pending} message(s) waiting; channels: ${[...this.channels.keys()].join(', ') || 'none'}` };
  }

  /** Accepts a notification durably and returns at once; sending happens on the pump. */
  notify(input: NotificationInput): NotifyResult {
    return this.enqueue.notify(input);
  }

  /** `notify` in this turn's group commit: resolves once it is on disk (see `Enqueuer.notifyLater`). */
  notifyLater(input: NotificationInput): Promise<NotifyResult> {
    return this.enqueue.notifyLater(input);
  }

  /** Someone took it: see `Acknowledger.acknowledge`. */
  acknowledge(target: { id?: string; subject?: string }, memberId: string, via: string, outcome?: string): boolean {
    return this.acks.acknowledge(target, memberId, via, outcome);
  }

  /** `acknowledge` in this turn's group commit: resolves once it is on disk. */
  acknowledgeLater(target: { id?: string; subject?: string }, memberId: string, via: string, outcome?: string): Promise<boolean> {
    return this.acks.acknowledgeLater(target, memberId, via, outcome);
  }

  /** Answers a question by the index of the member's choice; false when already answered or not a choice. */
  answer(id: string, memberId: string, via: string, index: number): boolean {
    return this.acks.answer(id, memberId, via, index);
  }

  /** The thing is over without anyone taking it (the door closed, the approval expired). */
  close(subject: string, text?: string): void {
    this.acks.close(subject, text);
  }

  /** `close` in this turn's group commit: resolves once it is on disk. */
  closeLater(subject: string, text?: string): Promise<void> {
    return this.acks.closeLater(subject, text);
  }

  /** Edits the messages already sent for a notification (buttons removed). Best effort. */
  editDelivered(row: NotificationRow, text: string): Promise<void> {
    return this.acks.editDelivered(row, text);
  }

  /** Runs a pump pass soon; coalesces calls. */
  kick(): void {
    this.pump.kick();
  }

  /** One pass: release held messages, send due ones, climb ladders, prune. Public for tests. */
  tick(): Promise<void> {
    return this.pump.tick();
  }

  /** For routes that change something the router owns. */
  ctxAudit(input: Parameters<HubContext['audit']['append']>[0]): void {
    this.ctx.audit.append(input);
  }

  view(row: NotificationRow, onlyMember?: string): NotificationView {
    return this.views.view(row, onlyMember);
  }

  list(filter: { member_id?: string; limit?: number; before?: string } = {}): NotificationView[] {
    return this.views.list(filter);
  }

  get(id: string): NotificationView | undefined {
    return this.views.get(id);
  }
}
