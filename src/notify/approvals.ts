import { z } from 'zod';
import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import type { Entity } from '../devices/model.js';
import { errorMessage } from '../core/errors.js';
import { wallClock } from '../core/local-time.js';
import { describeAction } from '../intents/answer.js';
import type { MemberDirectory } from './model.js';
import type { NotificationRouter } from './router.js';

/**
 * The gate's events as this bridge reads them. Parsed here rather than trusted: a change in
 * the gate's shape shows as a logged error, not as a message with "undefined" in it.
 */
const envelope = z.object({
  id: z.string(),
  action: z.object({ entity_id: z.string(), operation: z.string(), params: z.record(z.string(), z.unknown()).default({}) }),
  origin: z.object({ member_id: z.string().nullable(), channel: z.string() }),
  risk: z.string(),
  reason: z.string().nullable().optional(),
  policy: z.object({
    quorum: z.number(),
    approver_roles: z.array(z.enum(['owner', 'adult', 'child', 'elder', 'guest', 'support'])),
    exclude_requester: z.boolean(),
    step_up: z.boolean(),
  }),
  expires_at: z.string(),
  state: z.string(),
  decisions: z.array(z.object({ member_id: z.string(), decision: z.string(), channel: z.string(), at: z.string() })),
  outcome: z.object({ code: z.string().optional(), message: z.string() }).nullable().optional(),
});
type Envelope = z.infer<typeof envelope>;
const decided = z.object({ envelope, decision: z.object({ member_id: z.string(), decision: z.string(), channel: z.string() }) });
const alert = z.object({ code: z.string(), message: z.string(), envelope });
const executed = z.object({
  envelope_id: z.string().optional(),
  action: z.object({ entity_id: z.string(), operation: z.string(), params: z.record(z.string(), z.unknown()).default({}) }),
  outcome: z.object({ status: z.string(), detail: z.object({ message: z.string() }) }),
});

type Lookup = (id: string) => Entity | undefined;
type LooseBus = { on(name: string, listener: (payload: unknown) => void): () => void };

/** "in 5 minutes (21:35)" in the home's time zone. */
export function expiryWords(expiresAt: string, now: number, timeZone: string): string {
  const ms = Date.parse(expiresAt);
  const minutes = Math.max(0, Math.round((ms - now) / 60_000));
  const local = wallClock(ms, timeZone); // one formatter per zone, kept: making one costs ~0.3 ms
  const clock = `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
  return minutes <= 0 ? `now (${clock})` : `in ${minutes} minute${minutes === 1 ? '' : 's'} (${clock})`;
}

/** The gate's approval events → notifications: requests to approvers, outcomes to the people concerned. */
export class ApprovalNotices implements Service {
  readonly name = 'notify-approvals';
  private off: (() => void)[] = [];

  constructor(
    private readonly ctx: HubContext,
    private readonly router: NotificationRouter,
    private readonly members: MemberDirectory,
    private readonly lookup: Lookup = () => undefined,
  ) {}

  start(): void {
    // Subscribed by name: the gate declares these events; this part only reads them.
    const bus = this.ctx.bus as unknown as LooseBus;
    // The writes join the turn's group commit (the gate's emit does not wait for the disk); a
    // failure, then or later, is logged.
    const safe = (name: string, fn: (p: unknown) => Promise<unknown>) => {
      const failed = (err: unknown) =>
        this.ctx.log.error({ part: 'notify', event: name, err: errorMessage(err) }, 'could not turn a gate event into a notification');
      this.off.push(
        bus.on(name, (p) => {
          try {
            fn(p).catch(failed);
          } catch (err) {
            failed(err);
          }
        }),
      );
    };
    safe('approval.requested', (p) => this.requested(envelope.parse(p)));
    safe('approval.decided', (p) => this.decided(decided.parse(p)));
    safe('approval.finished', (p) => this.finished(envelope.parse(p)));
    safe('gate.alert', (p) => this.gateAlert(alert.parse(p)));
    safe('action.executed', (p) => this.executed(executed.parse(p)));
  }

  stop(): void {
    for (const off of this.off) off();
    this.off = [];
  }

  private who(id: string | null): string {
    if (!id) return 'An automation';
    return this.members.get(id)?.display_name ?? id;
  }

  private what(env: Envelope): string {
    return describeAction(env.action, this.lookup(env.action.entity_id));
  }

  requested(env: Envelope): Promise<unknown> {
    const tz = this.ctx.settings.get().hub.timezone;
    const lines = [
      `${this.who(env.origin.member_id)} asks to ${this.what(env)}.`,
      `Risk: ${env.risk}. Expires ${expiryWords(env.expires_at, this.ctx.clock.now(), tz)}.`,
    ];
    if (env.reason) lines.push(`Reason: ${env.reason}`);
    if (env.policy.step_up && this.ctx.settings.get().policy.step_up_channels.includes('telegram')) lines.push('Approving needs your PIN.');
    const exclude = env.policy.exclude_requester && env.origin.member_id ? [env.origin.member_id] : [];
    return this.router.notifyLater({
      kind: 'approval.request',
      severity: 'urgent',
      text: lines.join('\n'),
      subject: env.id,
      actions: [
        { kind: 'approve', label: 'Approve', approval_id: env.id },
        { kind: 'deny', label: 'Deny', approval_id: env.id },
      ],
      escalate: true,
      exclude,
      ladder_roles: env.policy.approver_roles.filter((r) => r !== 'support'),
    });
  }

  private async decided({ envelope: env, decision }: z.infer<typeof decided>): Promise<unknown> {
    if (env.state === 'pending') return; // a quorum still waits for more
    const verb = decision.decision === 'approve' ? 'Approved' : 'Denied';
    return this.router.acknowledgeLater({ subject: env.id }, decision.member_id, decision.channel, `${verb} by ${this.who(decision.member_id)}.`);
  }

  private async finished(env: Envelope): Promise<unknown> {
    const what = this.what(env);
    const decider = env.decisions.find((d) => d.decision === (env.state === 'denied' ? 'deny' : 'approve'));
    const by = decider ? this.who(decider.member_id) : undefined;
    const detail = env.outcome?.message ? ` ${env.outcome.message}` : '';
    const text = (() => {
      switch (env.state) {
        case 'executed':
          return `Done: ${what}${by ? ` (approved by ${by})` : ''}.`;
        case 'denied': {
          // The outcome carries the reason the approver gave, if any ("Sam said no: not tonight").
          const why = env.outcome?.message.match(/ said no: (.+)$/)?.[1];
          return `${by ?? 'An approver'} said no: ${what}.${why ? ` Why: ${why}` : ''}`;
        }
        case 'expired':
          return `Nobody approved in time: ${what}. Nothing was done.`;
        case 'cancelled':
          return `Cancelled: ${what}.`;
        case 'unconfirmed':
          return `Sent, but not confirmed: ${what}. Please check it.${detail}`;
        case 'failed':
          return `It did not work: ${what}.${detail}`;
        default:
          return `${what}: ${env.state}.`;
      }
    })();
    // Both in the same group commit, in this order.
    const closing = env.state === 'expired' || env.state === 'cancelled' ? this.router.closeLater(env.id, text) : undefined;
    const audience = new Set<string>();
    if (env.origin.member_id) audience.add(env.origin.member_id);
    for (const d of env.decisions) audience.add(d.member_id);
    const bad = env.state === 'unconfirmed' || env.state === 'failed';
    const telling = this.router.notifyLater({
      kind: 'approval.outcome',
      severity: bad ? 'warning' : 'info',
      text,
      subject: env.id,
      dedup_key: `approval.outcome:${env.id}`,
      audience: { members: [...audience], roles: bad ? ['owner'] : [] },
    });
    return Promise.all([closing, telling]);
  }

  /** A direct action (no envelope: its outcome went back to whoever asked) that failed or was not confirmed: the owner should know. */
  private async executed(e: z.infer<typeof executed>): Promise<unknown> {
    if (e.envelope_id || (e.outcome.status !== 'failed' && e.outcome.status !== 'unconfirmed')) return;
    const what = describeAction(e.action, this.lookup(e.action.entity_id));
    return this.router.notifyLater({
      kind: 'action.outcome',
      severity: 'warning',
      text: `${e.outcome.status === 'failed' ? 'It did not work' : 'Sent, but not confirmed'}: ${what}. ${e.outcome.detail.message}`,
      subject: e.action.entity_id,
      dedup_key: `action:${e.action.entity_id}:${e.action.operation}:${e.outcome.status}`,
      audience: { roles: ['owner'] },
    });
  }

  private gateAlert(a: z.infer<typeof alert>): Promise<unknown> {
    return this.router.notifyLater({
      kind: 'alert.gate',
      severity: 'urgent',
      text: `${a.message} (${this.what(a.envelope)})`,
      subject: `alert:gate:${a.envelope.id}`,
      dedup_key: `gate:${a.code}:${a.envelope.id}`,
      audience: { roles: ['owner'] },
      actions: [{ kind: 'ack', label: 'I will check' }],
      escalate: true,
    });
  }
}
