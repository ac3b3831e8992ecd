import { forAudit } from './redact.js';
import type { MembersService } from '../members/service.js';
import type { EntityRegistry } from '../devices/registry.js';
import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import { isoTime } from '../core/clock.js';
import { canonicalJson } from '../core/canonical-json.js';
import { HearthError, errorMessage } from '../core/errors.js';
import { newId, randomToken } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Origin } from '../audit/entry.js';
import type { DeviceAdapter, Entity } from '../devices/model.js';
import { supportsOperation } from '../devices/operations.js';
import type { Role } from '../members/model.js';
import type { Risk } from '../config/sections/policy.js';
import { Executor, systemKey, type ExecResult } from './executor.js';
import { evaluatePolicy, type PolicyVerdict } from './policy.js';
import { EnvelopeStore, envelopeDigest, type StoredEnvelope } from './store.js';
import { gateError, type GateErrorCode, gateErrors } from './errors.js';
import { ConfirmWindows } from './confirm.js';
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
  type Proposer,
  type SystemAction,
} from './model.js';

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

/** The members part as the gate uses it. */
export type GateMembers = Pick<MembersService, 'get' | 'list' | 'verifyPin' | 'hasPin'>;

export interface GateDeps {
  members: GateMembers;
  registry: EntityRegistry;
  adapters: ReadonlyMap<string, DeviceAdapter>;
}

const TARGET_KEYS = ['entity_id', 'device_id', 'area_id', 'floor_id', 'label_id'];

/** Thrown inside a transaction to roll it back when another caller changed the envelope first. */
class LostRace extends Error {}

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
  private readonly running = new Set<Promise<unknown>>();
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
  }

  // ---- lifecycle -------------------------------------------------------------------------

  start(): void {
    const recovered = this.recover();
    if (recovered.length > 0) {
      // Tell the owner once every part listens (the notification router starts after us).
      this.offStarted = this.ctx.bus.on('hub.started', () => {
        this.offStarted?.();
        for (const e of recovered) this.announceInterrupted(e);
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
    await Promise.allSettled([...this.running]);
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
    if (!shapeOk) return refuse('INVALID_PARAMS', `params may be nested at most ${MAX_PARAMS_DEPTH} deep, with at most ${MAX_PARAMS_NODES} values`);

    const role = this.requesterRole(req.origin.member_id, req.origin.channel);
    if (!role) return refuse('UNKNOWN_MEMBER', 'the member asking is not known or is disabled');
    const target = this.checkTarget(action);
    if ('code' in target) return refuse(target.code, target.message);
    const verdict = this.verdict(action, target.entity, role, req.origin.channel, this.ctx.clock.now(), req.origin.proposer);
    if (verdict.kind === 'refused') return refuse(verdict.code, verdict.message, verdict.risk);

    // The request's entry is on disk (this turn's group commit) before the action runs.
    const requested = (data: Record<string, unknown>) =>
      this.ctx.audit.appendDurably({ actor, origin: req.origin.channel, kind: 'action.requested', subject: actionId, data: { ...data, ...proposed } });
    if (verdict.kind === 'direct') {
      await requested({ action: forAudit(action), risk: verdict.risk, path: 'direct', reason: req.reason ?? null, ...proposed });
      return this.track(this.runAction(action, actionId, actor, req.origin.channel, options.recorded));
    }

    // A hub change by an owner who confirmed with their PIN on this sign-in a few minutes ago
    // (or who just set up the hub) runs like a direct action: no second prompt, same audit story.
    if (this.isHubChange(action) && verdict.policy.quorum === 1 && this.windows.covers(req.origin.member_id ?? '', req.origin.session_id)) {
      const self = this.selfConfirm({ origin: { member_id: req.origin.member_id, channel: req.origin.channel }, policy: verdict.policy });
      if (self) {
        await requested({ action: forAudit(action), risk: verdict.risk, path: 'confirmed', confirmed: 'window', reason: req.reason ?? null });
        return this.track(this.runAction(action, actionId, actor, req.origin.channel, options.recorded));
      }
    }
    const eligible = this.eligibleApprovers(verdict.policy.approver_roles, verdict.policy.exclude_requester ? req.origin.member_id : null);
    const sole = eligible < verdict.policy.quorum && this.soleApprover(verdict.policy, req.origin.member_id);
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
    return { status: 'pending', approval_id: envelope.id, envelope, self_confirm: this.selfConfirm(envelope) };
  }

  /**
   * Whether the requester may approve their own envelope (always with their PIN, or for a hub
   * change within their confirmation window): they hold an approver role, and either the policy
   * lets the requester approve or no one else could (the sole owner).
   */
  selfConfirm(env: Pick<Envelope, 'origin' | 'policy'>): boolean {
    const id = env.origin.member_id;
    const m = id ? this.deps.members.get(id) : undefined;
    if (!m || m.disabled || !env.policy.approver_roles.includes(m.role)) return false;
    return !env.policy.exclude_requester || this.soleApprover(env.policy, id);
  }

  /** exclude_requester, yet no one but the requester could approve: the sole owner confirms with the PIN. */
  private soleApprover(policy: Envelope['policy'], requesterId: string | null): boolean {
    if (!policy.exclude_requester || policy.quorum !== 1 || !requesterId || !this.ctx.settings.get().policy.sole_approver_pin) return false;
    const m = this.deps.members.get(requesterId);
    if (!m || m.disabled || !policy.approver_roles.includes(m.role)) return false;
    return this.eligibleApprovers(policy.approver_roles, requesterId) === 0;
  }

  private isHubChange(action: Pick<Action, 'entity_id' | 'operation'>): boolean {
    return this.systemActions.get(systemKey(action.entity_id, action.operation))?.change === true;
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
    const sole = own && env.policy.exclude_requester && this.soleApprover(env.policy, member.id);
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
      const window = own && this.isHubChange(env.action) && this.windows.covers(member!.id, input.session_id);
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
    const approvals = this.boundApprovals(stored) + (input.decision === 'approve' ? 1 : 0);
    const next: EnvelopeState = input.decision === 'deny' && stored.deny_ends ? 'denied' : approvals >= env.policy.quorum ? 'approved' : 'pending';
    // The decision and, when it completes the quorum, the `executing` step share one group commit.
    const decided = this.ctx.audit.withEntryDurably(
      {
        actor: input.member_id,
        origin: input.channel,
        kind: 'approval.decided',
        subject: env.id,
        data: { decision: input.decision, digest: env.digest, approvals, quorum: env.policy.quorum, state: next, ...selfNote },
      },
      () => {
        this.store.addDecision(env.id, decision, env.digest);
        if (next !== 'pending') {
          const outcome: OutcomeDetail | undefined = next === 'denied' ? { code: 'DENIED', message: `denied by ${input.member_id}` } : undefined;
          if (!this.store.transition(env.id, ['pending'], next, at, outcome)) throw new LostRace();
        }
      },
    );
    const running = next === 'approved' ? this.track(this.executeEnvelope(stored)) : undefined;
    running?.catch(() => {}); // awaited below, or dropped with the decision's own error
    try {
      await decided;
    } catch (err) {
      if (err instanceof LostRace) throw gateError('APPROVAL_FINISHED', 'this request was decided by someone else a moment ago');
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw gateError('ALREADY_DECIDED', 'you have already decided on this request');
      throw err;
    }
    const after = this.mustGet(env.id);
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
    const after = this.mustGet(env.id);
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
      if (moved) this.ctx.bus.emit('approval.finished', this.mustGet(id));
    }
  }

  // ---- execution -----------------------------------------------------------------------

  /** approved → executing exactly once (conditional update), re-check, run, confirm, finish. */
  /**
   * `asked` is the envelope as read when the decision was made (its actor, origin and digest never
   * change); the `executing` step is queued in the decision's group commit, and the rest works on
   * the envelope as stored once that commit is on disk, before anything is sent.
   */
  private async executeEnvelope(asked: StoredEnvelope): Promise<Envelope> {
    const { envelope: env, actor } = asked;
    const id = env.id;
    const channel = env.origin.channel;
    let stored: StoredEnvelope;
    try {
      ({ result: stored } = await this.ctx.audit.withEntryDurably(
        { actor, origin: channel, kind: 'approval.executing', subject: id, data: { digest: env.digest } },
        () => {
          if (!this.store.transition(id, ['approved'], 'executing', isoTime(this.ctx.clock.now()))) throw new LostRace();
          return this.store.get(id)!;
        },
      ));
    } catch (err) {
      if (err instanceof LostRace) return this.mustGet(id); // not approved (yet), or someone else runs it
      throw err;
    }
    const problem = this.recheck(stored);
    if (problem) {
      await this.finish(id, actor, channel, 'failed', problem);
      const after = this.mustGet(id);
      this.ctx.bus.emit('action.executed', {
        envelope_id: id,
        action: env.action,
        outcome: { status: 'failed', action_id: id, envelope_id: id, entity: this.deps.registry.get(env.action.entity_id) ?? null, detail: problem },
      });
      return after;
    }
    const sent = this.sentEntries(env.action, id, actor, channel);
    const result = await this.executor.run(env.action, sent.hook);
    await Promise.all([sent.written(), this.finish(id, actor, channel, result.status, result.detail)]);
    this.ctx.bus.emit('action.executed', { envelope_id: id, action: env.action, outcome: toOutcome(result, id, id) });
    return this.mustGet(id);
  }

  private async runAction(
    action: Action,
    actionId: string,
    actor: string,
    channel: Origin,
    recorded?: (commit: Promise<unknown>) => void,
  ): Promise<ExecutionOutcome> {
    const sent = this.sentEntries(action, actionId, actor, channel);
    const result = await this.executor.run(action, sent.hook);
    const kind = result.status === 'executed' ? 'action.confirmed' : `action.${result.status}`;
    const outcome = toOutcome(result, actionId);
    // With a device that answers at once, "sent" and "confirmed" share one group commit.
    const commit = Promise.all([
      sent.written(),
      this.ctx.audit.appendDurably({ actor, origin: channel, kind, subject: actionId, data: { detail: result.detail } }),
    ]).then(() => this.ctx.bus.emit('action.executed', { action, outcome }));
    if (!recorded) {
      await commit;
      return outcome;
    }
    void this.track(commit).catch(() => {}); // stop() waits for it; the caller awaits it
    recorded(commit);
    return outcome;
  }

  /** The time-of-use check: everything that allowed the envelope must still hold now. */
  private recheck(stored: StoredEnvelope): OutcomeDetail | undefined {
    const env = stored.envelope;
    if (envelopeDigest(env) !== env.digest) return { code: 'DIGEST_MISMATCH', message: 'the stored request does not match its digest; not executed' };
    const bound = this.boundApprovals(stored);
    if (bound < env.policy.quorum)
      return { code: 'DIGEST_MISMATCH', message: 'the approvals were not made on this exact request by members who may still approve; not executed' };
    const target = this.checkTarget(env.action);
    if ('code' in target) return { code: target.code, message: `${target.message}; not executed` };
    const role = this.requesterRole(env.origin.member_id, env.origin.channel);
    if (!role) return { code: 'UNKNOWN_MEMBER', message: 'the member who asked is no longer active; not executed' };
    // Asked as of the envelope's creation, so a time window passing is not a "change".
    const verdict = this.verdict(env.action, target.entity, role, env.origin.channel, stored.created_ms, env.origin.proposer);
    if (verdict.kind === 'refused') return { code: verdict.code, message: `${verdict.message} (policy changed since the request); not executed` };
    if (verdict.kind !== 'approval' || verdict.risk !== env.risk || canonicalJson(verdict.policy) !== canonicalJson(env.policy)) {
      return { code: 'POLICY_CHANGED', message: 'the policy for this action changed after it was requested; ask again' };
    }
    return undefined;
  }

  private async finish(id: string, actor: string, channel: Origin, state: 'executed' | 'failed' | 'unconfirmed', detail: OutcomeDetail): Promise<void> {
    try {
      await this.ctx.audit.withEntryDurably({ actor, origin: channel, kind: `approval.${state}`, subject: id, data: { ...detail } }, () => {
        if (!this.store.transition(id, ['executing'], state, isoTime(this.ctx.clock.now()), detail)) throw new LostRace();
      });
    } catch (err) {
      if (err instanceof LostRace) return;
      throw err;
    }
    this.ctx.bus.emit('approval.finished', this.mustGet(id));
  }

  /**
   * The executor's "sent" hook: the `action.executed` entry goes into the group commit of the
   * moment the command was handed on (it records the send, after it happened); `written()` is
   * that commit, awaited before the outcome is reported.
   */
  private sentEntries(action: Action, subject: string, actor: string, channel: Origin): { hook: (error?: string) => void; written: () => Promise<unknown> } {
    let entry: Promise<unknown> = Promise.resolve();
    return {
      hook: (error) => {
        entry = this.ctx.audit.appendDurably({
          actor,
          origin: channel,
          kind: 'action.executed',
          subject,
          data: { action: forAudit(action), sent: !error, ...(error ? { error } : {}) },
        });
        entry.catch(() => {}); // awaited by written(); never an unhandled rejection while the device is awaited
      },
      written: () => entry,
    };
  }

  /**
   * At start: an envelope left `executing` by a crash may or may not have moved the device.
   * It becomes `unconfirmed` and is never run again on its own; one left `approved` never
   * reached the device and fails. Both are audited.
   */
  private recover(): Envelope[] {
    const out: Envelope[] = [];
    const at = isoTime(this.ctx.clock.now());
    for (const id of this.store.idsInState('approved')) {
      const stored = this.store.get(id)!;
      this.ctx.audit.withEntry(
        { actor: 'system', origin: 'system', kind: 'approval.failed', subject: id, data: { code: 'INTERRUPTED', recovered: true } },
        () => {
          this.store.transition(id, ['approved'], 'executing', at);
          this.store.transition(id, ['executing'], 'failed', at, {
            code: 'INTERRUPTED',
            message: 'the hub stopped before this approved action was sent; it was not executed',
          });
        },
      );
      out.push(this.mustGet(stored.envelope.id));
    }
    for (const id of this.store.idsInState('executing')) {
      this.ctx.audit.withEntry(
        { actor: 'system', origin: 'system', kind: 'approval.unconfirmed', subject: id, data: { code: 'INTERRUPTED', recovered: true } },
        () => {
          this.store.transition(id, ['executing'], 'unconfirmed', at, {
            code: 'INTERRUPTED',
            message: 'the hub stopped while this action was executing; it may or may not have happened and will not be retried. Check the device.',
          });
        },
      );
      out.push(this.mustGet(id));
    }
    if (out.length) this.log.warn({ envelopes: out.map((e) => e.id) }, 'envelopes interrupted by a stop or crash were closed without running again');
    return out;
  }

  private announceInterrupted(e: Envelope): void {
    this.ctx.bus.emit('approval.finished', e);
    this.ctx.bus.emit('gate.alert', {
      code: 'INTERRUPTED',
      message: `${e.action.operation} ${e.action.entity_id} was interrupted by a restart; check the device`,
      envelope: e,
    });
  }

  // ---- helpers -------------------------------------------------------------------------

  /**
   * A member's role; with no member, `support` for a support engineer through the relay (the
   * support role: hub actions, always approved by the home) and `system` for the rest (workflows).
   */
  private requesterRole(memberId: string | null, channel: Origin): Role | 'system' | undefined {
    if (memberId === null) return channel === 'support' ? 'support' : 'system';
    const m = this.deps.members.get(memberId);
    return m && !m.disabled ? m.role : undefined;
  }

  private checkTarget(action: Action): { entity: Entity | null } | { code: GateErrorCode; message: string } {
    // An approval is for one entity: params may not point the command at others.
    const widening = TARGET_KEYS.filter((k) => Object.hasOwn(action.params, k));
    if (widening.length > 0) return { code: 'INVALID_PARAMS', message: `params may not name other targets (${widening.join(', ')})` };
    // A hub change carries more (a policy, hashes); a device command a few values.
    if (JSON.stringify(action.params).length > (this.isHubChange(action) ? 65_536 : 4096)) return { code: 'INVALID_PARAMS', message: 'params are too large' };
    if (action.entity_id.startsWith('hub.')) {
      if (this.systemActions.has(systemKey(action.entity_id, action.operation))) return { entity: null };
      const known = [...this.systemActions.keys()].some((k) => k.startsWith(`${action.entity_id}:`));
      return known
        ? { code: 'UNSUPPORTED_OPERATION', message: `${action.entity_id} has no operation ${action.operation}` }
        : { code: 'UNKNOWN_ENTITY', message: `${action.entity_id} is not a known hub action` };
    }
    const entity = this.deps.registry.get(action.entity_id);
    if (!entity) return { code: 'UNKNOWN_ENTITY', message: `no entity ${action.entity_id}` };
    if (!supportsOperation(entity, action.operation))
      return { code: 'UNSUPPORTED_OPERATION', message: `${entity.id} (${entity.domain}) does not support ${action.operation}` };
    if (!entity.available || entity.state === 'unavailable') return { code: 'ENTITY_UNAVAILABLE', message: `${entity.id} is unavailable right now` };
    return { entity };
  }

  private verdict(action: Action, entity: Entity | null, role: Role | 'system', channel: Origin, at: number, proposer?: Proposer): PolicyVerdict {
    const settings = this.ctx.settings.get();
    const system = this.systemActions.get(systemKey(action.entity_id, action.operation));
    return evaluatePolicy({
      action,
      entity,
      systemRisk: system?.risk,
      hubChange: system?.change,
      role,
      channel,
      proposer,
      at,
      timezone: settings.hub.timezone,
      policy: settings.policy,
    });
  }

  /**
   * Approvals that count: made on this exact digest, by a member who is still active and still
   * holds an approver role (an account disabled after a stolen phone approved does not count).
   */
  private boundApprovals(stored: StoredEnvelope): number {
    const env = stored.envelope;
    return env.decisions.filter((d, i) => {
      if (d.decision !== 'approve' || stored.decisionDigests[i] !== env.digest) return false;
      const m = this.deps.members.get(d.member_id);
      if (m === undefined || m.disabled || !env.policy.approver_roles.includes(m.role)) return false;
      // The requester's own yes counts only while the policy lets it: never once another approver exists.
      return !(env.policy.exclude_requester && m.id === env.origin.member_id && !this.soleApprover(env.policy, m.id));
    }).length;
  }

  private eligibleApprovers(roles: Role[], excluded: string | null): number {
    return this.deps.members.list().filter((m) => !m.disabled && roles.includes(m.role) && m.id !== excluded).length;
  }

  private mustGet(id: string): Envelope {
    const s = this.store.get(id);
    if (!s) throw gateErrors.error('APPROVAL_NOT_FOUND', `no approval request ${id}`);
    return s.envelope;
  }

  /** Keeps in-flight executions known so that stop() can wait for them to be recorded. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p)).catch(() => {});
    return p;
  }
}

const MAX_PARAMS_DEPTH = 16;
const MAX_PARAMS_NODES = 2000;

/** Without recursion: params no deeper than MAX_PARAMS_DEPTH and no more than MAX_PARAMS_NODES values. */
function paramsShapeOk(params: unknown): boolean {
  const stack: [unknown, number][] = [[params, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++nodes > MAX_PARAMS_NODES || depth > MAX_PARAMS_DEPTH) return false;
    if (value && typeof value === 'object') for (const v of Object.values(value)) stack.push([v, depth + 1]);
  }
  return true;
}

function toOutcome(result: ExecResult, actionId: string, envelopeId?: string): ExecutionOutcome {
  return { status: result.status, action_id: actionId, ...(envelopeId ? { envelope_id: envelopeId } : {}), entity: result.entity, detail: result.detail };
}
