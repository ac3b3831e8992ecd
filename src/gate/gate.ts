import { forAudit } from './redact.js';
import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import { isoTime } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { newId, randomToken } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Origin } from '../audit/entry.js';
import type { PolicySettings, Risk } from '../config/sections/policy.js';
import { Executor, systemKey } from './executor.js';
import type { PolicyVerdict } from './policy.js';
import { EnvelopeStore, envelopeDigest } from './store.js';
import { gateError, type GateErrorCode } from './errors.js';
import { ConfirmWindows } from './confirm.js';
import { GateChecks, PARAMS_SHAPE_MESSAGE, paramsShapeOk } from './checks.js';
import { GateExecution, LostRace } from './execution.js';
import type { GateDeps } from './deps.js';
import {
  actionSchema,
  gateRequestSchema,
  type Action,
  type DecideInput,
  type Decision,
  type Envelope,
  type EnvelopeState,
  type ExecutionOutcome,
  type GateOutcome,
  type GateRequest,
  type ListQuery,
  type OutcomeDetail,
  type SystemAction,
} from './model.js';

export type { GateDeps, GateMembers } from './deps.js';

declare module '../core/bus.js' {
  interface HubEvents {
    /** A new envelope waits for approvers (the notification router offers it with buttons). */
    'approval.requested': Envelope;
    'approval.decided': { envelope: Envelope; decision: Decision };
    /** The envelope reached a final state: executed, failed, unconfirmed, denied, expired or cancelled. */
    'approval.finished': Envelope;
    /** An action ran (straight away or from an envelope) and its effect was confirmed or not. */
    'action.executed': { envelope_id?: string; action: Action; outcome: ExecutionOutcome };
    /** Something the owner must look at: an action interrupted by a crash, whose effect nobody knows. */
    'gate.alert': { code: string; message: string; envelope: Envelope };
  }
}

/**
 * The one gate every action passes: it asks the policy, then runs the action, opens an
 * approval envelope, or refuses, and writes each step to the audit trail with the envelope
 * (or action) id as subject. Every state change and its audit entry share one transaction.
 */
export class ActionGate implements Service {
  readonly name = 'gate';
  readonly store: EnvelopeStore;
  private readonly executor: Executor;
  private readonly systemActions = new Map<string, SystemAction>();
  private readonly checks: GateChecks;
  private readonly execution: GateExecution;
  private readonly log: Logger;
  private readonly windows: ConfirmWindows;
  private sweeper?: NodeJS.Timeout;
  private offStarted?: () => void;
  private offSetup?: () => void;

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: GateDeps,
  ) {
    this.store = new EnvelopeStore(ctx.store.db);
    this.log = ctx.log.child({ part: 'gate' });
    this.windows = new ConfirmWindows(ctx);
    this.executor = new Executor({
      registry: deps.registry,
      adapters: deps.adapters,
      bus: ctx.bus,
      systemActions: this.systemActions,
      confirmTimeoutMs: () => this.ctx.settings.get().policy.confirm_timeout_s * 1000,
    });
    this.checks = new GateChecks(ctx, deps, this.systemActions);
    this.execution = new GateExecution(ctx, this.store, this.executor, this.checks, deps.registry, this.log);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  start(): void {
    const recovered = this.execution.recover();
    if (recovered.length > 0) {
      // Tell the owner once every part listens (the notification router starts after us).
      this.offStarted = this.ctx.bus.on('hub.started', () => {
        this.offStarted?.();
        for (const e of recovered) this.execution.announceInterrupted(e);
      });
    }
    // First run is not blocked: the setup code and the new owner's password open the first window.
    const offSetup = this.ctx.bus.on('setup.completed', ({ member_id, session_id }) => this.windows.open(member_id, session_id, 'web', 'first_run'));
    // An owner without a PIN has only the password to confirm with: "sudo" asks for it at sign-in.
    const offLogin = this.ctx.bus.on('login.without_pin', ({ member_id, session_id }) => {
      if (this.deps.members.get(member_id)?.role === 'owner') this.windows.open(member_id, session_id, 'web', 'password');
    });
    this.offSetup = () => {
      offSetup();
      offLogin();
    };
    const every = this.ctx.settings.get().policy.sweep_interval_s * 1000;
    this.sweeper = setInterval(() => {
      try {
        this.sweep();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'expiry sweep failed');
      }
    }, every);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.offStarted?.();
    this.offSetup?.();
    this.windows.stop();
    this.executor.stop(); // waits end now as unconfirmed; their envelopes are finished below
    await this.execution.settle();
  }

  health() {
    const pending = this.store.idsInState('pending').length;
    return { status: 'ok' as const, detail: `${pending} approval${pending === 1 ? '' : 's'} pending` };
  }

  /** For actions on the hub itself: `hub.<name>` + operation, through the same policy and audit. */
  registerSystemAction(entityId: string, operation: string, action: SystemAction): () => void {
    if (!/^hub\.[a-z0-9_]+$/.test(entityId)) throw new Error(`system actions are named hub.<name>, not ${entityId}`);
    if (!/^[a-z0-9_]+$/.test(operation)) throw new Error(`bad operation name ${operation}`);
    const key = systemKey(entityId, operation);
    if (this.systemActions.has(key)) throw new Error(`system action ${key} is registered twice`);
    this.systemActions.set(key, action);
    return () => this.systemActions.delete(key);
  }

  // ---- requests ------------------------------------------------------------------------

  /**
   * Asks for an action. The outcome comes once its last audit entries are on disk; a caller that
   * writes its own record of the outcome (a workflow's step row) may pass `recorded` instead:
   * the outcome then comes as soon as it is known, its entries still waiting for this turn's group
   * commit, and `recorded` gets that commit to await, so that the caller's record joins it.
   * Either way the action ran only after its request entry was on disk.
   */
  async request(raw: GateRequest, options: { recorded?: (commit: Promise<unknown>) => void } = {}): Promise<GateOutcome> {
    const parsed = gateRequestSchema.safeParse(raw);
    const actionParsed = parsed.success ? actionSchema.safeParse(parsed.data.action) : undefined;
    if (!parsed.success || !actionParsed?.success) {
      return { status: 'refused', code: 'INVALID_ACTION', message: 'the action must name an entity id and an operation' };
    }
    const req = parsed.data;
    const action = actionParsed.data;
    const actor = req.origin.actor ?? req.origin.member_id ?? 'system';
    const actionId = newId('act');
    const proposed = req.origin.proposer ? { proposer: req.origin.proposer } : {};
    const audit = (kind: string, data: Record<string, unknown>, subject = actionId) =>
      this.ctx.audit.append({ actor, origin: req.origin.channel, kind, subject, data: { ...data, ...proposed } });
    // Checked before anything serialises the params (the audit, the digest): JSON.stringify of a
    // value nested some ten thousand deep overflows the stack.
    const shapeOk = paramsShapeOk(action.params);
    const refuse = (code: GateErrorCode | string, message: string, risk?: Risk): GateOutcome => {
      audit('action.refused', {
        action: forAudit(shapeOk ? action : { ...action, params: {} }),
        code,
        message,
        risk: risk ?? null,
        reason: req.reason ?? null,
      });
      return { status: 'refused', code, message };
    };
    if (!shapeOk) return refuse('INVALID_PARAMS', PARAMS_SHAPE_MESSAGE);

    const role = this.checks.requesterRole(req.origin.member_id, req.origin.channel);
    if (!role) return refuse('UNKNOWN_MEMBER', 'the member asking is not known or is disabled');
    const target = this.checks.checkTarget(action);
    if ('code' in target) return refuse(target.code, target.message);
    const verdict = this.checks.verdict(action, target.entity, role, req.origin.channel, this.ctx.clock.now(), req.origin.proposer);
    if (verdict.kind === 'refused') return refuse(verdict.code, verdict.message, verdict.risk);

    // The request's entry is on disk (this turn's group commit) before the action runs.
    const requested = (data: Record<string, unknown>) =>
      this.ctx.audit.appendDurably({ actor, origin: req.origin.channel, kind: 'action.requested', subject: actionId, data: { ...data, ...proposed } });
    if (verdict.kind === 'direct') {
      await requested({ action: forAudit(action), risk: verdict.risk, path: 'direct', reason: req.reason ?? null, ...proposed });
      return this.execution.track(this.execution.runAction(action, actionId, actor, req.origin.channel, options.recorded));
    }

    // A hub change by an owner who confirmed with their PIN on this sign-in a few minutes ago
    // (or who just set up the hub) runs like a direct action: no second prompt, same audit story.
    if (this.checks.isHubChange(action) && verdict.policy.quorum === 1 && this.windows.covers(req.origin.member_id ?? '', req.origin.session_id)) {
      const self = this.checks.selfConfirm({ origin: { member_id: req.origin.member_id, channel: req.origin.channel }, policy: verdict.policy });
      if (self) {
        await requested({ action: forAudit(action), risk: verdict.risk, path: 'confirmed', confirmed: 'window', reason: req.reason ?? null });
        return this.execution.track(this.execution.runAction(action, actionId, actor, req.origin.channel, options.recorded));
      }
    }
    const eligible = this.checks.eligibleApprovers(verdict.policy.approver_roles, verdict.policy.exclude_requester ? req.origin.member_id : null);
    const sole = eligible < verdict.policy.quorum && this.checks.soleApprover(verdict.policy, req.origin.member_id);
    if (eligible < verdict.policy.quorum && !sole) {
      return refuse(
        'NO_APPROVER',
        `no one can approve this: it needs ${verdict.policy.quorum} approval${verdict.policy.quorum > 1 ? 's' : ''} from ${verdict.policy.approver_roles.join(' or ')}, and ${eligible} ${eligible === 1 ? 'is' : 'are'} available`,
        verdict.risk,
      );
    }
    const now = this.ctx.clock.now();
    const expiresMs = now + verdict.expiry_s * 1000;
    const base = {
      id: newId('apr'),
      action,
      origin: { member_id: req.origin.member_id, channel: req.origin.channel, ...proposed },
      risk: verdict.risk,
      reason: req.reason ?? null,
      policy: verdict.policy,
      created_at: isoTime(now),
      expires_at: isoTime(expiresMs),
      nonce: randomToken(22),
      state: 'pending' as const,
      decisions: [],
      outcome: null,
    };
    const envelope: Envelope = { ...base, digest: envelopeDigest(base) };
    await this.ctx.audit.withEntryDurably(
      {
        actor,
        origin: req.origin.channel,
        kind: 'approval.requested',
        subject: envelope.id,
        data: {
          action: forAudit(action),
          risk: envelope.risk,
          policy: envelope.policy,
          expires_at: envelope.expires_at,
          digest: envelope.digest,
          reason: envelope.reason,
          ...proposed,
        },
      },
      () => this.store.insert({ envelope, actor, deny_ends: verdict.deny_ends, created_ms: now, expires_ms: expiresMs }),
    );
    this.ctx.bus.emit('approval.requested', envelope);
    return { status: 'pending', approval_id: envelope.id, envelope, self_confirm: this.checks.selfConfirm(envelope) };
  }

  /**
   * What the policy would answer if `memberId` asked for `action` at `at` on the web, under
   * `policy` (the saved one by default, or a draft): nothing runs, nothing is recorded.
   * `approvers`: how many other members could approve; `self_confirm`: the asker confirms with their PIN.
   */
  preview(
    memberId: string,
    action: Action,
    at: number,
    policy?: PolicySettings,
  ): { verdict: PolicyVerdict; approvers: number; self_confirm: boolean } | { code: GateErrorCode; message: string } {
    const role = this.checks.requesterRole(memberId, 'web');
    if (!role) return { code: 'UNKNOWN_MEMBER', message: 'that member is not known or is disabled' };
    const target = this.checks.checkTarget(action);
    // Unavailable right now says nothing about the policy: preview it anyway.
    const entity = 'code' in target ? (target.code === 'ENTITY_UNAVAILABLE' ? (this.deps.registry.get(action.entity_id) ?? null) : undefined) : target.entity;
    if (entity === undefined && 'code' in target) return target;
    const verdict = this.checks.verdict(action, entity ?? null, role, 'web', at, undefined, policy);
    if (verdict.kind !== 'approval') return { verdict, approvers: 0, self_confirm: false };
    const approvers = this.checks.eligibleApprovers(verdict.policy.approver_roles, verdict.policy.exclude_requester ? memberId : null);
    return { verdict, approvers, self_confirm: approvers < verdict.policy.quorum && this.checks.soleApprover(verdict.policy, memberId) };
  }

  /** Whether the requester may approve their own envelope (see GateChecks.selfConfirm). */
  selfConfirm(env: Pick<Envelope, 'origin' | 'policy'>): boolean {
    return this.checks.selfConfirm(env);
  }

  // ---- decisions -----------------------------------------------------------------------

  /**
   * Records one member's decision. When it completes the quorum, the action runs here and
   * this resolves with the envelope in its final state (executed, failed or unconfirmed).
   * Any bad input throws a HearthError with a gate code and leaves the envelope unchanged.
   */
  async decide(approvalId: string, input: DecideInput): Promise<Envelope> {
    this.sweep();
    const stored = this.store.get(approvalId);
    if (!stored) throw gateError('APPROVAL_NOT_FOUND', `no approval request ${approvalId}`);
    const env = stored.envelope;
    const refuse = (code: GateErrorCode, message: string): never => {
      this.ctx.audit.append({
        actor: input.member_id,
        origin: input.channel,
        kind: 'approval.decision_refused',
        subject: env.id,
        data: { decision: input.decision, code },
      });
      throw gateError(code, message);
    };
    if (env.decisions.some((d) => d.member_id === input.member_id)) refuse('ALREADY_DECIDED', 'you have already decided on this request');
    if (env.state === 'expired') refuse('APPROVAL_EXPIRED', `this request expired at ${env.expires_at}`);
    if (env.state !== 'pending') refuse('APPROVAL_FINISHED', `this request is already ${env.state}`);
    const member = this.deps.members.get(input.member_id);
    const own = member !== undefined && member.id === env.origin.member_id;
    const sole = own && env.policy.exclude_requester && this.checks.soleApprover(env.policy, member.id);
    if (member && !member.disabled && env.policy.exclude_requester && own && !sole) {
      refuse('SELF_APPROVAL_FORBIDDEN', 'you cannot approve your own request; someone else must (or cancel it)');
    }
    if (!member || member.disabled || !env.policy.approver_roles.includes(member.role)) {
      refuse('NOT_AN_APPROVER', `this request needs ${env.policy.approver_roles.join(' or ')} to decide`);
    }
    // Saying no is always safe; saying yes through a channel that cannot prove the person needs
    // the PIN, and so does saying yes to one's own request (a hub change within the sign-in's
    // confirmation window excepted).
    let confirmed: 'pin' | 'window' | undefined;
    if (input.decision === 'approve') {
      const window = own && this.checks.isHubChange(env.action) && this.windows.covers(member!.id, input.session_id);
      const needsPin = own ? !window : env.policy.step_up && this.ctx.settings.get().policy.step_up_channels.includes(input.channel);
      if (needsPin) {
        if (!input.pin)
          refuse(
            'PIN_REQUIRED',
            this.deps.members.hasPin?.(input.member_id) === false
              ? 'approving this needs a PIN; set one in your profile first'
              : own
                ? 'confirm this with your PIN'
                : 'approving this needs your PIN',
          );
        if (!this.deps.members.verifyPin(input.member_id, input.pin!, input.channel)) refuse('PIN_INVALID', 'that PIN is not right');
        // verifyPin audits wrong PINs and throws PIN_LOCKED when they are too many
        confirmed = 'pin';
        this.windows.open(input.member_id, input.session_id, input.channel, 'pin');
      } else if (window) confirmed = 'window';
    }
    const selfNote = own && input.decision === 'approve' ? { by_requester: sole ? 'sole_approver' : 'requester', confirmed } : {};

    const at = isoTime(this.ctx.clock.now());
    const decision: Decision = { member_id: input.member_id, decision: input.decision, channel: input.channel, at };
    const approvals = this.checks.boundApprovals(stored) + (input.decision === 'approve' ? 1 : 0);
    const next: EnvelopeState = input.decision === 'deny' && stored.deny_ends ? 'denied' : approvals >= env.policy.quorum ? 'approved' : 'pending';
    // The decision and, when it completes the quorum, the `executing` step share one group commit.
    const decided = this.ctx.audit.withEntryDurably(
      {
        actor: input.member_id,
        origin: input.channel,
        kind: 'approval.decided',
        subject: env.id,
        data: {
          decision: input.decision,
          digest: env.digest,
          approvals,
          quorum: env.policy.quorum,
          state: next,
          ...selfNote,
          ...(input.reason ? { reason: input.reason } : {}),
        },
      },
      () => {
        this.store.addDecision(env.id, decision, env.digest);
        if (next !== 'pending') {
          // Who said no and why, in words the requester reads on their card.
          const why = input.reason?.trim() ? `: ${input.reason.trim()}` : '';
          const outcome: OutcomeDetail | undefined =
            next === 'denied' ? { code: 'DENIED', message: `${member?.display_name ?? input.member_id} said no${why}` } : undefined;
          if (!this.store.transition(env.id, ['pending'], next, at, outcome)) throw new LostRace();
        }
      },
    );
    const running = next === 'approved' ? this.execution.track(this.execution.executeEnvelope(stored)) : undefined;
    running?.catch(() => {}); // awaited below, or dropped with the decision's own error
    try {
      await decided;
    } catch (err) {
      if (err instanceof LostRace) throw gateError('APPROVAL_FINISHED', 'this request was decided by someone else a moment ago');
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw gateError('ALREADY_DECIDED', 'you have already decided on this request');
      throw err;
    }
    const after = this.execution.mustGet(env.id);
    this.ctx.bus.emit('approval.decided', { envelope: after, decision });
    if (next === 'denied') this.ctx.bus.emit('approval.finished', after);
    if (running) return running;
    return after;
  }

  /** The requester withdraws a pending request. */
  cancel(approvalId: string, memberId: string | null, channel: Origin): Envelope {
    this.sweep();
    const stored = this.store.get(approvalId);
    if (!stored) throw gateError('APPROVAL_NOT_FOUND', `no approval request ${approvalId}`);
    const env = stored.envelope;
    if (env.origin.member_id !== memberId) throw gateError('NOT_REQUESTER', 'only the member who asked can cancel; approvers can deny');
    if (env.state === 'expired') throw gateError('APPROVAL_EXPIRED', `this request expired at ${env.expires_at}`);
    if (env.state !== 'pending') throw gateError('APPROVAL_FINISHED', `this request is already ${env.state}`);
    const at = isoTime(this.ctx.clock.now());
    try {
      this.ctx.audit.withEntry(
        { actor: memberId ?? stored.actor, origin: channel, kind: 'approval.cancelled', subject: env.id, data: { digest: env.digest } },
        () => {
          if (!this.store.transition(env.id, ['pending'], 'cancelled', at, { code: 'CANCELLED', message: 'cancelled by the requester' })) throw new LostRace();
        },
      );
    } catch (err) {
      if (err instanceof LostRace) throw gateError('APPROVAL_FINISHED', 'this request was decided a moment ago');
      throw err;
    }
    const after = this.execution.mustGet(env.id);
    this.ctx.bus.emit('approval.finished', after);
    return after;
  }

  get(id: string): Envelope | undefined {
    this.sweep();
    return this.store.get(id)?.envelope;
  }

  list(query: ListQuery = {}): Envelope[] {
    this.sweep();
    return this.store.list(query);
  }

  /** Closes pending envelopes whose time is up (by ctx.clock); each with its audit entry. */
  sweep(): void {
    for (const id of this.store.pendingExpiredBy(this.ctx.clock.now())) {
      const at = isoTime(this.ctx.clock.now());
      let moved = false;
      this.ctx.audit.withEntry({ actor: 'system', origin: 'system', kind: 'approval.expired', subject: id, data: {} }, () => {
        moved = this.store.transition(id, ['pending'], 'expired', at, { code: 'EXPIRED', message: 'nobody approved in time' });
        if (!moved) throw new LostRace();
      });
      if (moved) this.ctx.bus.emit('approval.finished', this.execution.mustGet(id));
    }
  }
}
