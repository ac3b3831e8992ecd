import type { HubContext } from '../part/context.js';
import type { Service, ComponentHealth } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { isoTime } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { RateLimiter } from '../core/rate-limit.js';
import { errorMessage } from '../core/errors.js';
import type { Member } from '../members/model.js';
import {
  ChannelError,
  notificationInputSchema,
  SEVERITY_RANK,
  type MemberDirectory,
  type NotificationChannel,
  type NotificationInput,
  type NotificationSpec,
  type NotificationView,
  type OutgoingMessage,
} from './model.js';
import { actionsOf, Outbox, type DeliveryRow, type NotificationRow } from './outbox.js';
import { PreferenceStore, quietUntil } from './preferences.js';

export interface NotifyResult {
  id: string;
  /** An open notification with the same dedup key existed: it was counted, nothing new is sent. */
  deduplicated: boolean;
  recipients: string[];
}

const MAX_IN_FLIGHT = 16;

/**
 * The notification router: every message to a person goes through `notify()`. It writes the
 * notification and one delivery per person (idempotency key notification:member:channel) in
 * one transaction, then a pump sends what is due. A delivery found `sending` at start-up is
 * sent again: delivery is at-least-once, and a crash between the channel accepting a message
 * and the row turning `delivered` can show that one message twice.
 */
export class NotificationRouter implements Service {
  readonly name = 'notify';
  readonly outbox: Outbox;
  readonly preferences: PreferenceStore;
  private readonly channels = new Map<string, NotificationChannel>();
  private readonly expected = new Map<string, Pick<NotificationChannel, 'name' | 'canReachLater'>>();
  private readonly log: Logger;
  private readonly limiter: RateLimiter;
  private readonly inFlight = new Set<string>();
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private pumping?: Promise<void>;
  private again = false;
  private running = false;
  private lastPrune = 0;
  private lastError?: string;

  constructor(
    private readonly ctx: HubContext,
    private readonly members: MemberDirectory,
  ) {
    this.outbox = new Outbox(ctx.store.db);
    this.preferences = new PreferenceStore(ctx.store.db, ctx.clock);
    this.log = ctx.log.child({ part: 'notify' });
    const s = ctx.settings.get().notify;
    this.limiter = new RateLimiter({ burst: s.per_member_burst, perSecond: s.per_member_per_minute / 60, maxKeys: 2_000, now: () => ctx.clock.now() });
  }

  private get settings() {
    return this.ctx.settings.get().notify;
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
    this.running = true;
    this.timer = setInterval(() => this.kick(), this.settings.tick_ms);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    await this.pumping; // sends in flight finish and record their result before the store closes
  }

  health(): ComponentHealth {
    const pending = this.outbox.pendingCount();
    return this.lastError && pending > 0
      ? { status: 'degraded', detail: `${pending} message(s) waiting; last send error: ${this.lastError}` }
      : { status: 'ok', detail: `${pending} message(s) waiting; channels: ${[...this.channels.keys()].join(', ') || 'none'}` };
  }

  // ---- enqueue ---------------------------------------------------------------------------

  /** Accepts a notification durably and returns at once; sending happens on the pump. */
  notify(input: NotificationInput): NotifyResult {
    const spec = notificationInputSchema.parse(input);
    const now = this.ctx.clock.now();
    const s = this.settings;
    if (spec.dedup_key && s.dedup_window_s > 0) {
      const dup = this.outbox.findDuplicate(spec.dedup_key, now - s.dedup_window_s * 1000);
      if (dup) {
        this.outbox.countDuplicate(dup.id, spec.text, now);
        return { id: dup.id, deduplicated: true, recipients: [] };
      }
    }
    const id = newId('ntf');
    const rungs = spec.ladder ?? s.escalation_ladder;
    let recipients = this.audienceOf(spec);
    let step = -1;
    let only: string | undefined;
    if (recipients.length === 0 && spec.escalate) {
      for (let i = 0; i < rungs.length && recipients.length === 0; i++) {
        recipients = this.rungMembers(rungs[i]!, spec.exclude, spec.ladder_roles);
        only = viaOf(rungs[i]!);
        step = i;
      }
    }
    const row: NotificationRow = {
      id,
      kind: spec.kind,
      severity: spec.severity,
      text: spec.text,
      actions: JSON.stringify(spec.actions),
      subject: spec.subject ?? null,
      meta: JSON.stringify({ exclude: spec.exclude, ladder_roles: spec.ladder_roles, ladder: spec.ladder }),
      dedup_key: spec.dedup_key ?? null,
      count: 1,
      escalate: spec.escalate ? 1 : 0,
      step,
      next_escalation_at: spec.escalate ? now + s.escalation_step_minutes * 60_000 : null,
      state: 'open',
      ack_by: null,
      ack_via: null,
      ack_at: null,
      created_at: now,
      updated_at: now,
    };
    const sentTo: string[] = [];
    this.outbox.transaction(() => {
      this.outbox.insertNotification(row);
      for (const member of recipients) if (this.addDelivery(row, member, Math.max(step, 0), now, only)) sentTo.push(member.id);
    });
    this.ctx.bus.emit('notification.created', {
      id,
      kind: spec.kind,
      severity: spec.severity,
      text: spec.text,
      subject: row.subject,
      member_ids: sentTo,
      created_at: isoTime(now),
    });
    this.kick();
    return { id, deduplicated: false, recipients: sentTo };
  }

  private audienceOf(spec: NotificationSpec): Member[] {
    const out = new Map<string, Member>();
    for (const id of spec.audience.members) {
      const m = this.members.get(id);
      if (m && !m.disabled) out.set(m.id, m);
    }
    for (const role of spec.audience.roles) for (const m of this.members.list({ role })) if (!m.disabled) out.set(m.id, m);
    for (const id of spec.exclude) out.delete(id);
    return [...out.values()];
  }

  private rungMembers(rung: string, exclude: string[], roles?: Member['role'][]): Member[] {
    const [type, rest] = rung.split(':') as [string, string];
    if (type === 'channel') return []; // adds a channel, not people: see escalate()
    const value = rest.split('@')[0]!;
    const list = type === 'role' ? this.members.list({ role: value as Member['role'] }) : [this.members.get(value)].filter((m): m is Member => m !== undefined);
    return list.filter((m) => !m.disabled && !exclude.includes(m.id) && (!roles || roles.includes(m.role)));
  }

  /**
   * One delivery for a member on their first channel that reaches them (or on `only`, when an
   * escalation adds that channel; false if it cannot reach them); false if filtered or a duplicate.
   */
  private addDelivery(n: NotificationRow, member: Member, step: number, now: number, only?: string): boolean {
    const prefs = this.preferences.get(member.id);
    const approval = n.kind.startsWith('approval.request');
    if (!approval) {
      if (SEVERITY_RANK[n.severity] < SEVERITY_RANK[prefs.min_severity]) return false;
      if (prefs.muted_kinds.some((k) => n.kind === k || (k.endsWith('.') && n.kind.startsWith(k)) || n.kind.startsWith(`${k}.`))) return false;
    }
    const order = only ? [only] : (prefs.channels ?? this.settings.default_channels);
    const channel = order.find((c) => this.channels.get(c)?.canReach(member)) ?? order.find((c) => !this.channels.has(c) && this.willReach(c, member));
    const base = {
      id: newId('dlv'),
      notification_id: n.id,
      member_id: member.id,
      step,
      attempts: 0,
      next_attempt_at: now,
      message_ref: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    };
    if (!channel) {
      if (only) return false;
      return this.outbox.insertDelivery({
        ...base,
        channel: 'none',
        idem_key: `${n.id}:${member.id}:none`,
        status: 'failed',
        release_at: null,
        last_error: 'no channel reaches this member (pair Telegram or choose a channel)',
      });
    }
    const quiet = n.severity === 'urgent' ? undefined : quietUntil(prefs, now, this.ctx.settings.get().hub.timezone);
    return this.outbox.insertDelivery({
      ...base,
      channel,
      idem_key: `${n.id}:${member.id}:${channel}`,
      status: quiet ? 'held' : 'queued',
      release_at: quiet ?? null,
      last_error: null,
    });
  }

  // ---- acknowledge -------------------------------------------------------------------------

  /**
   * Someone took it: the ladder stops for everyone, unsent messages are cancelled, sent ones
   * are edited where the channel can, and the others are told who took it.
   */
  acknowledge(target: { id?: string; subject?: string }, memberId: string, via: string, outcome?: string): boolean {
    const rows = target.id
      ? [this.outbox.notification(target.id)].filter((r): r is NotificationRow => r !== undefined)
      : this.outbox.openBySubject(target.subject ?? '');
    const now = this.ctx.clock.now();
    const who = this.members.get(memberId)?.display_name ?? memberId;
    let any = false;
    for (const row of rows) {
      if (!this.outbox.acknowledge(row.id, memberId, via, now)) continue;
      any = true;
      this.outbox.cancelPending(row.id, now);
      this.ctx.bus.emit('notification.acknowledged', { id: row.id, subject: row.subject, by: memberId, via });
      const line = outcome ?? `${who} took it.`;
      void this.editDelivered(row, `${row.text}\n\n${line}`);
      const others = [
        ...new Set(
          this.outbox
            .deliveriesOf(row.id)
            .filter((d) => d.status === 'delivered' && d.member_id !== memberId)
            .map((d) => d.member_id),
        ),
      ];
      if (others.length > 0 && !row.kind.startsWith('approval.')) {
        this.notify({
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
    const row = this.outbox.notification(id);
    if (!row || row.state !== 'open') return false;
    const choice = actionsOf(row)[index];
    if (choice?.kind !== 'choice') return false;
    const who = this.members.get(memberId)?.display_name ?? memberId;
    if (!this.acknowledge({ id }, memberId, via, `${who} answered: ${choice.label}.`)) return false;
    this.ctx.bus.emit('notification.answered', { id, subject: row.subject, by: memberId, via, value: choice.value, label: choice.label });
    return true;
  }

  /** The thing is over without anyone taking it (the door closed, the approval expired). */
  close(subject: string, text?: string): void {
    const now = this.ctx.clock.now();
    for (const row of this.outbox.openBySubject(subject)) {
      if (!this.outbox.close(row.id, now)) continue;
      this.outbox.cancelPending(row.id, now);
      if (text) void this.editDelivered(row, `${row.text}\n\n${text}`);
    }
  }

  /** Edits the messages already sent for a notification (buttons removed). Best effort. */
  async editDelivered(row: NotificationRow, text: string): Promise<void> {
    for (const d of this.outbox.deliveriesOf(row.id)) {
      const channel = this.channels.get(d.channel);
      if (d.status !== 'delivered' || !d.message_ref || !channel?.edit) continue;
      try {
        await channel.edit(d.message_ref, text, []);
      } catch (err) {
        this.log.warn({ delivery: d.id, err: errorMessage(err) }, 'could not edit a sent message');
      }
    }
  }

  // ---- the pump ----------------------------------------------------------------------------

  /** Runs a pump pass soon; coalesces calls. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      void this.tick();
    });
  }

  /** One pass: release held messages, send due ones, climb ladders, prune. Public for tests. */
  tick(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          this.escalate();
          await this.sendDue();
          this.prune();
        } while (this.again && this.running);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'notification pump failed');
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  /**
   * Sends what is due. Writes are batched: one transaction marks a batch `sending`, the
   * results are recorded in a few transactions after; with synchronous=FULL each commit is a
   * disk flush, so this is what makes the router fast on an SD card. A crash in between leaves
   * rows `sending`, which start() sends again (at-least-once).
   */
  private async sendDue(): Promise<void> {
    const now = this.ctx.clock.now();
    const due = this.outbox.due(now, 200).filter((d) => !this.inFlight.has(d.id));
    if (due.length === 0) return;
    const batch: { channel: NotificationChannel; d: DeliveryRow; message: OutgoingMessage }[] = [];
    this.outbox.transaction(() => {
      for (const d of due) {
        const channel = this.channels.get(d.channel);
        if (!channel) {
          // The channel is not up (yet): keep the message, look again later.
          this.outbox.setStatus(d.id, 'queued', now, { next_attempt_at: now + this.settings.retry_base_ms, last_error: `channel ${d.channel} is not running` });
          continue;
        }
        const n = this.outbox.notification(d.notification_id);
        const member = this.members.get(d.member_id);
        if (!n || !member || member.disabled) {
          this.outbox.setStatus(d.id, 'cancelled', now, { last_error: n ? 'member gone or disabled' : 'notification gone' });
          continue;
        }
        // A message is admitted against the person's rate once; its retries after a failure are not counted again.
        const key = `${d.member_id}:${d.channel}`;
        if (d.severity !== 'urgent' && d.attempts === 0 && !this.limiter.take(key)) {
          const wait = Math.max(1, this.limiter.retryAfter(key)) * 1000;
          this.outbox.setStatus(d.id, 'queued', now, { next_attempt_at: now + wait });
          continue;
        }
        const attempts = d.attempts + 1;
        this.outbox.setStatus(d.id, 'sending', now, { attempts });
        batch.push({
          channel,
          d: { ...d, attempts },
          message: {
            delivery_id: d.id,
            idem_key: d.idem_key,
            member,
            notification_id: n.id,
            kind: n.kind,
            severity: n.severity,
            text: n.count > 1 ? `${n.text} (×${n.count})` : n.text,
            actions: n.state === 'open' ? actionsOf(n) : [],
            subject: n.subject,
          },
        });
      }
    });
    const results: (() => void)[] = [];
    const flush = () => {
      if (results.length) this.outbox.transaction(() => results.splice(0).forEach((write) => write()));
    };
    const running = new Set<Promise<void>>();
    for (const item of batch) {
      while (running.size >= MAX_IN_FLIGHT) await Promise.race(running);
      if (results.length >= 50) flush();
      this.inFlight.add(item.d.id);
      const p: Promise<void> = this.sendOne(item.channel, item.d, item.message)
        .then((write) => void results.push(write))
        .finally(() => {
          this.inFlight.delete(item.d.id);
          running.delete(p);
        });
      running.add(p);
    }
    await Promise.all(running);
    flush();
  }

  /** Sends one message; returns the write that records the result (run in a batch). */
  private async sendOne(channel: NotificationChannel, d: DeliveryRow, message: OutgoingMessage): Promise<() => void> {
    try {
      const { message_ref } = await channel.send(message);
      this.lastError = undefined;
      const at = this.ctx.clock.now();
      return () => this.outbox.setStatus(d.id, 'delivered', at, { message_ref, delivered_at: at, last_error: null });
    } catch (err) {
      const s = this.settings;
      const retryable = err instanceof ChannelError ? err.retryable : true;
      const msg = errorMessage(err).slice(0, 300);
      this.lastError = msg;
      const later = this.ctx.clock.now();
      if (!retryable || d.attempts >= s.max_attempts) {
        this.log.warn({ delivery: d.id, channel: d.channel, err: msg }, 'delivery failed for good');
        return () => this.outbox.setStatus(d.id, 'failed', later, { last_error: msg });
      }
      const backoff = Math.min(s.retry_base_ms * 2 ** Math.min(d.attempts - 1, 20), s.retry_max_ms);
      const wait = Math.round(
        err instanceof ChannelError && err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 0) : backoff * (0.8 + Math.random() * 0.4),
      );
      this.log.info({ delivery: d.id, channel: d.channel, attempts: d.attempts, retry_in_ms: wait, err: msg }, 'delivery will be retried');
      return () => this.outbox.setStatus(d.id, 'queued', later, { next_attempt_at: later + wait, last_error: msg });
    }
  }

  /**
   * Unacknowledged urgent notifications and approvals go to the next rung that adds someone: new
   * people on their first channel, or (`channel:<name>`) the people reached so far on one more.
   */
  private escalate(): void {
    const now = this.ctx.clock.now();
    const s = this.settings;
    for (const n of this.outbox.dueEscalations(now)) {
      const have = new Set(this.outbox.deliveriesOf(n.id).map((d) => d.member_id));
      let climbed = false;
      const meta = metaOf(n);
      const ladder = meta.ladder ?? s.escalation_ladder;
      for (let i = n.step + 1; i < ladder.length && !climbed; i++) {
        const rung = ladder[i]!;
        const channel = rung.startsWith('channel:') ? rung.slice('channel:'.length) : viaOf(rung);
        const next = rung.startsWith('channel:')
          ? [...have].map((id) => this.members.get(id)).filter((m): m is Member => m !== undefined && !m.disabled)
          : this.rungMembers(rung, meta.exclude, meta.ladder_roles).filter((m) => !have.has(m.id));
        if (next.length === 0) continue;
        const added = this.outbox.transaction(() => next.filter((m) => this.addDelivery(n, m, i, now, channel)));
        if (added.length === 0) continue;
        this.outbox.setEscalation(n.id, i, now + s.escalation_step_minutes * 60_000, now);
        this.log.info({ notification: n.id, rung, members: added.map((m) => m.id) }, 'escalated');
        this.ctx.audit.append({
          actor: 'system',
          origin: 'system',
          kind: 'notify.escalated',
          subject: n.subject ?? n.id,
          data: { notification: n.id, rung, members: added.map((m) => m.id) },
        });
        climbed = true;
      }
      if (!climbed) this.outbox.setEscalation(n.id, n.step, null, now); // the ladder is exhausted; it stays open
    }
  }

  private prune(): void {
    const now = this.ctx.clock.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    this.outbox.prune(now - this.settings.keep_days * 86_400_000);
  }

  /** For routes that change something the router owns. */
  ctxAudit(input: Parameters<HubContext['audit']['append']>[0]): void {
    this.ctx.audit.append(input);
  }

  // ---- reading -----------------------------------------------------------------------------

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

/** The channel a `member:<id>@<channel>` rung names, if any. */
const viaOf = (rung: string): string | undefined => (rung.startsWith('member:') && rung.includes('@') ? rung.slice(rung.indexOf('@') + 1) : undefined);

const metaOf = (n: NotificationRow): { exclude: string[]; ladder_roles?: Member['role'][]; ladder?: string[] } => {
  try {
    const m = JSON.parse(n.meta) as { exclude?: string[]; ladder_roles?: Member['role'][]; ladder?: string[] };
    return { exclude: m.exclude ?? [], ladder_roles: m.ladder_roles, ladder: m.ladder };
  } catch {
    return { exclude: [] };
  }
};

const firstLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 120);
