import type { HubContext } from '../part/context.js';
import type { Logger } from '../core/logger.js';
import type { HubEvents } from '../core/bus.js';
import { isoTime } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Member } from '../members/model.js';
import {
  notificationInputSchema,
  SEVERITY_RANK,
  type MemberDirectory,
  type NotificationChannel,
  type NotificationInput,
  type NotificationSpec,
} from './model.js';
import type { NotificationRow, Outbox } from './outbox.js';
import { quietUntil, type PreferenceStore } from './preferences.js';
import { commitsFor } from '../store/commits.js';

export interface NotifyResult {
  id: string;
  /** An open notification with the same dedup key existed: it was counted, nothing new is sent. */
  deduplicated: boolean;
  recipients: string[];
}

/** What the router's pieces share: the store, the people, the channels up now, and a way to wake the pump. */
export interface RouterCore {
  readonly ctx: HubContext;
  readonly members: MemberDirectory;
  readonly outbox: Outbox;
  readonly preferences: PreferenceStore;
  readonly log: Logger;
  /** The channels that are up. */
  readonly channels: ReadonlyMap<string, NotificationChannel>;
  /** A channel announced but not up yet that will reach the member once it is (the channel says). */
  willReach(name: string, member: Member): boolean;
  /** Runs a pump pass soon. */
  kick(): void;
}

/** What `write` did: the caller's answer, and the `notification.created` event when a notification was added. */
interface Written {
  result: NotifyResult;
  created?: HubEvents['notification.created'];
}

export const notifySettings = (core: RouterCore) => core.ctx.settings.get().notify;

/**
 * Enqueue: a notification and one delivery per person (idempotency key
 * notification:member:channel), written in one transaction (a synchronous commit, or the turn's
 * group commit with `notifyLater`); the pump sends them once they are on disk.
 */
export class Enqueuer {
  constructor(private readonly core: RouterCore) {}

  /**
   * Accepts a notification durably and returns at once; sending happens on the pump. The write
   * is a synchronous commit (it takes whatever waits for the group commit with it, in order);
   * inside a caller's transaction it lands with that transaction.
   */
  notify(input: NotificationInput): NotifyResult {
    const spec = notificationInputSchema.parse(input);
    return this.announce(commitsFor(this.core.ctx.store.db).now(() => this.write(spec)));
  }

  /**
   * `notify` in this turn's group commit: resolves once the notification and its deliveries are
   * on disk (one fsync shared with the turn's other writes, off the event loop). For listeners
   * on a hot path (the gate's approval events) that must not wait for the disk themselves.
   * Bad input throws at once; a failed commit rejects (nothing was stored, nothing is sent).
   */
  async notifyLater(input: NotificationInput): Promise<NotifyResult> {
    const spec = notificationInputSchema.parse(input);
    return this.announce(await commitsFor(this.core.ctx.store.db).later(() => this.write(spec)));
  }

  /** Tells the hub about a new notification and wakes the pump, once its rows are committed. */
  private announce({ result, created }: Written): NotifyResult {
    if (created) this.core.ctx.bus.emit('notification.created', created);
    this.core.kick();
    return result;
  }

  /**
   * The notification and one delivery per person, or a count on an open duplicate. Runs inside
   * a transaction (the group commit's or `now()`'s), so its dedup check sees every write handed
   * to the group before it, in order.
   */
  private write(spec: NotificationSpec): Written {
    const { ctx, outbox } = this.core;
    const now = ctx.clock.now();
    const s = notifySettings(this.core);
    if (spec.dedup_key && s.dedup_window_s > 0) {
      const dup = outbox.findDuplicate(spec.dedup_key, now - s.dedup_window_s * 1000);
      if (dup) {
        outbox.countDuplicate(dup.id, spec.text, now);
        return { result: { id: dup.id, deduplicated: true, recipients: [] } };
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
    outbox.insertNotification(row);
    for (const member of recipients) if (this.addDelivery(row, member, Math.max(step, 0), now, only)) sentTo.push(member.id);
    return {
      result: { id, deduplicated: false, recipients: sentTo },
      created: { id, kind: spec.kind, severity: spec.severity, text: spec.text, subject: row.subject, member_ids: sentTo, created_at: isoTime(now) },
    };
  }

  private audienceOf(spec: NotificationSpec): Member[] {
    const { members } = this.core;
    const out = new Map<string, Member>();
    for (const id of spec.audience.members) {
      const m = members.get(id);
      if (m && !m.disabled) out.set(m.id, m);
    }
    for (const role of spec.audience.roles) for (const m of members.list({ role })) if (!m.disabled) out.set(m.id, m);
    for (const id of spec.exclude) out.delete(id);
    return [...out.values()];
  }

  /** The people a ladder rung names (`role:<role>`, `member:<id>[@channel]`); none for `channel:<name>`, which adds a channel. */
  rungMembers(rung: string, exclude: string[], roles?: Member['role'][]): Member[] {
    const { members } = this.core;
    const [type, rest] = rung.split(':') as [string, string];
    if (type === 'channel') return []; // adds a channel, not people: see the ladder
    const value = rest.split('@')[0]!;
    const list = type === 'role' ? members.list({ role: value as Member['role'] }) : [members.get(value)].filter((m): m is Member => m !== undefined);
    return list.filter((m) => !m.disabled && !exclude.includes(m.id) && (!roles || roles.includes(m.role)));
  }

  /**
   * One delivery for a member on their first channel that reaches them (or on `only`, when an
   * escalation adds that channel; false if it cannot reach them); false if filtered or a duplicate.
   */
  addDelivery(n: NotificationRow, member: Member, step: number, now: number, only?: string): boolean {
    const { ctx, outbox, channels } = this.core;
    const prefs = this.core.preferences.get(member.id);
    const approval = n.kind.startsWith('approval.request');
    if (!approval) {
      if (SEVERITY_RANK[n.severity] < SEVERITY_RANK[prefs.min_severity]) return false;
      if (prefs.muted_kinds.some((k) => n.kind === k || (k.endsWith('.') && n.kind.startsWith(k)) || n.kind.startsWith(`${k}.`))) return false;
    }
    const order = only ? [only] : (prefs.channels ?? notifySettings(this.core).default_channels);
    const channel = order.find((c) => channels.get(c)?.canReach(member)) ?? order.find((c) => !channels.has(c) && this.core.willReach(c, member));
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
      return outbox.insertDelivery({
        ...base,
        channel: 'none',
        idem_key: `${n.id}:${member.id}:none`,
        status: 'failed',
        release_at: null,
        last_error: 'no channel reaches this member (pair Telegram or choose a channel)',
      });
    }
    const quiet = n.severity === 'urgent' ? undefined : quietUntil(prefs, now, ctx.settings.get().hub.timezone);
    return outbox.insertDelivery({
      ...base,
      channel,
      idem_key: `${n.id}:${member.id}:${channel}`,
      status: quiet ? 'held' : 'queued',
      release_at: quiet ?? null,
      last_error: null,
    });
  }
}

/** The channel a `member:<id>@<channel>` rung names, if any. */
export const viaOf = (rung: string): string | undefined => (rung.startsWith('member:') && rung.includes('@') ? rung.slice(rung.indexOf('@') + 1) : undefined);
