import type { HubContext } from '../part/context.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { Origin } from '../audit/entry.js';
import type { Entity } from '../devices/model.js';
import { supportsOperation } from '../devices/operations.js';
import type { Role } from '../members/model.js';
import type { PolicySettings } from '../config/sections/policy.js';
import { systemKey } from './executor.js';
import { evaluatePolicy, type PolicyVerdict } from './policy.js';
import { envelopeDigest, type StoredEnvelope } from './store.js';
import type { GateErrorCode } from './errors.js';
import type { GateDeps } from './deps.js';
import type { Action, Envelope, OutcomeDetail, Proposer, SystemAction } from './model.js';

const TARGET_KEYS = ['entity_id', 'device_id', 'area_id', 'floor_id', 'label_id'];
const MAX_PARAMS_DEPTH = 16;
const MAX_PARAMS_NODES = 2000;
export const PARAMS_SHAPE_MESSAGE = `params may be nested at most ${MAX_PARAMS_DEPTH} deep, with at most ${MAX_PARAMS_NODES} values`;

/**
 * What the gate decides with, and nothing it writes: who is asking (their role), whether the
 * target exists and takes the operation, what the policy says, and who could approve. The same
 * checks run when an action is asked for and again, at time of use, before an envelope runs.
 */
export class GateChecks {
  constructor(
    private readonly ctx: HubContext,
    private readonly deps: GateDeps,
    private readonly systemActions: ReadonlyMap<string, SystemAction>,
  ) {}

  /**
   * A member's role; with no member, `support` for a support engineer through the relay (the
   * support role: hub actions, always approved by the home) and `system` for the rest (workflows).
   */
  requesterRole(memberId: string | null, channel: Origin): Role | 'system' | undefined {
    if (memberId === null) return channel === 'support' ? 'support' : 'system';
    const m = this.deps.members.get(memberId);
    return m && !m.disabled ? m.role : undefined;
  }

  checkTarget(action: Action): { entity: Entity | null } | { code: GateErrorCode; message: string } {
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

  verdict(
    action: Action,
    entity: Entity | null,
    role: Role | 'system',
    channel: Origin,
    at: number,
    proposer?: Proposer,
    policy?: PolicySettings,
  ): PolicyVerdict {
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
      policy: policy ?? settings.policy,
    });
  }

  isHubChange(action: Pick<Action, 'entity_id' | 'operation'>): boolean {
    return this.systemActions.get(systemKey(action.entity_id, action.operation))?.change === true;
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
  soleApprover(policy: Envelope['policy'], requesterId: string | null): boolean {
    if (!policy.exclude_requester || policy.quorum !== 1 || !requesterId || !this.ctx.settings.get().policy.sole_approver_pin) return false;
    const m = this.deps.members.get(requesterId);
    if (!m || m.disabled || !policy.approver_roles.includes(m.role)) return false;
    return this.eligibleApprovers(policy.approver_roles, requesterId) === 0;
  }

  eligibleApprovers(roles: Role[], excluded: string | null): number {
    return this.deps.members.list().filter((m) => !m.disabled && roles.includes(m.role) && m.id !== excluded).length;
  }

  /**
   * Approvals that count: made on this exact digest, by a member who is still active and still
   * holds an approver role (an account disabled after a stolen phone approved does not count).
   */
  boundApprovals(stored: StoredEnvelope): number {
    const env = stored.envelope;
    return env.decisions.filter((d, i) => {
      if (d.decision !== 'approve' || stored.decisionDigests[i] !== env.digest) return false;
      const m = this.deps.members.get(d.member_id);
      if (m === undefined || m.disabled || !env.policy.approver_roles.includes(m.role)) return false;
      // The requester's own yes counts only while the policy lets it: never once another approver exists.
      return !(env.policy.exclude_requester && m.id === env.origin.member_id && !this.soleApprover(env.policy, m.id));
    }).length;
  }

  /** The time-of-use check: everything that allowed the envelope must still hold now. */
  recheck(stored: StoredEnvelope): OutcomeDetail | undefined {
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
}

/** Without recursion: params no deeper than MAX_PARAMS_DEPTH and no more than MAX_PARAMS_NODES values. */
export function paramsShapeOk(params: unknown): boolean {
  const stack: [unknown, number][] = [[params, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++nodes > MAX_PARAMS_NODES || depth > MAX_PARAMS_DEPTH) return false;
    if (value && typeof value === 'object') for (const v of Object.values(value)) stack.push([v, depth + 1]);
  }
  return true;
}
