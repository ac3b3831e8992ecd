import type { Entity } from '../devices/model.js';
import { own } from '../core/own.js';
import type { Origin } from '../audit/entry.js';
import type { Role } from '../members/model.js';
import { DEFAULT_RISKS, type ApprovalRule, type PolicySettings, type Risk } from '../config/sections/policy.js';
import type { Action, EnvelopePolicy, Proposer } from './model.js';
import type { GateErrorCode } from './errors.js';

export const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const RISKS: readonly Risk[] = ['low', 'medium', 'high', 'critical'];
const riskAbove = (a: Risk, b: Risk | null): boolean => b === null || RISK_ORDER[a] > RISK_ORDER[b];

export interface PolicyInput {
  action: Action;
  /** The entity acted on; null for an action on the hub itself. */
  entity: Entity | null;
  /** The risk a hub action was registered with. */
  systemRisk?: Risk;
  /** One of the hub's own changes (policy.hub_changes: its risks and its approval rule). */
  hubChange?: boolean;
  /** `system` when no member is behind the request (a workflow). */
  role: Role | 'system';
  channel: Origin;
  /** `llm` when a language model proposed the action from text. */
  proposer?: Proposer;
  /** When the policy is asked (time windows); the envelope's creation time when re-checking. */
  at: number;
  timezone: string;
  policy: PolicySettings;
}

export type PolicyVerdict =
  | { kind: 'refused'; code: GateErrorCode; message: string; risk?: Risk }
  | { kind: 'direct'; risk: Risk }
  | { kind: 'approval'; risk: Risk; policy: EnvelopePolicy; expiry_s: number; deny_ends: boolean };

/** The policy's answer for one request. Pure: same input, same answer (the gate re-asks before executing). */
export function evaluatePolicy(input: PolicyInput): PolicyVerdict {
  const { action, policy, channel } = input;
  const target = `${action.entity_id}:${action.operation}`;
  let risk = riskOf(input);
  const window = policy.windows.find((w) => matches(w.match, target) && inWindow(input.at, input.timezone, w.from, w.to));
  if (window?.risk) risk = window.risk;
  if (input.proposer === 'llm') {
    if (policy.llm.forbid.some((p) => matches(p, target))) {
      return {
        kind: 'refused',
        code: 'PROPOSER_FORBIDDEN',
        message: `the language model may not propose ${action.operation} ${action.entity_id}; ask with a button or in plain words the rules read`,
        risk,
      };
    }
    risk = RISKS[Math.min(RISKS.length - 1, RISK_ORDER[risk] + policy.llm.raise_risk)]!;
  }

  const rule = policy.roles[input.role];
  if (!rule || !rule.allow.some((p) => matches(p, target)) || rule.deny.some((p) => matches(p, target))) {
    return { kind: 'refused', code: 'ROLE_NOT_ALLOWED', message: `the ${input.role} role may not ${action.operation} ${action.entity_id}`, risk };
  }
  if (riskAbove(risk, rule.max_risk)) {
    return {
      kind: 'refused',
      code: 'ROLE_NOT_ALLOWED',
      message: `the ${input.role} role may not ask for ${risk}-risk actions such as ${action.operation} ${action.entity_id}`,
      risk,
    };
  }
  const approval: ApprovalRule = input.hubChange ? policy.hub_changes.approval : policy.approvals[risk === 'low' ? 'medium' : risk];
  if (risk !== 'low' && approval.forbid_origins.includes(channel)) {
    return { kind: 'refused', code: 'ORIGIN_FORBIDDEN', message: `${risk}-risk actions are never taken on a request from ${channel}`, risk };
  }
  if (risk !== 'low' && input.proposer && approval.forbid_origins.includes(input.proposer)) {
    return { kind: 'refused', code: 'ORIGIN_FORBIDDEN', message: `${risk}-risk actions are never taken when a language model proposed them`, risk };
  }
  if (rule.direct_max_risk !== null && !riskAbove(risk, rule.direct_max_risk)) return { kind: 'direct', risk };
  return {
    kind: 'approval',
    risk,
    policy: {
      quorum: window?.quorum ?? approval.quorum,
      approver_roles: [...(window?.approver_roles ?? approval.approver_roles)].sort(),
      exclude_requester: approval.exclude_requester,
      step_up: window?.step_up ?? approval.step_up,
    },
    expiry_s: approval.expiry_s,
    deny_ends: approval.deny_ends,
  };
}

/** Per-entity override, then the registered risk of a hub action, then the domain table (owner's entries first). */
export function riskOf(input: Pick<PolicyInput, 'action' | 'entity' | 'systemRisk' | 'hubChange' | 'policy'>): Risk {
  const { action, entity, policy } = input;
  const op = action.operation;
  const override = own(policy.overrides, action.entity_id);
  const fromOverride = own(override, op) ?? own(override, '*');
  if (fromOverride) return fromOverride;
  const hubRisk = input.hubChange ? (policy.hub_changes.risks as Record<string, Risk>)[op] : undefined;
  if (hubRisk) return hubRisk;
  if (input.systemRisk) return input.systemRisk;
  const domain = entity?.domain ?? action.entity_id.split('.')[0]!;
  const keys = [deviceClassKey(domain, entity), domain].filter((k): k is string => Boolean(k));
  for (const key of keys) {
    const found = own(own(policy.risks, key), op) ?? own(own(policy.risks, key), '*') ?? own(own(DEFAULT_RISKS, key), op) ?? own(own(DEFAULT_RISKS, key), '*');
    if (found) return found;
  }
  return 'medium';
}

/** `cover:garage` for a garage door: by its device class, or by a name that says so. */
function deviceClassKey(domain: string, entity: Entity | null): string | undefined {
  if (!entity) return undefined;
  const dc = typeof entity.attributes.device_class === 'string' ? entity.attributes.device_class : undefined;
  if (dc) return `${domain}:${dc}`;
  if (domain === 'cover' && entity.id.includes('garage')) return 'cover:garage';
  return undefined;
}

const patternCache = new Map<string, RegExp>();

/** `<entity glob>[:<operation glob>]` against `entity_id:operation`. */
export function matches(pattern: string, target: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    const [ent, op = '*'] = pattern.split(':');
    const glob = (s: string) =>
      s
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^:]*');
    re = new RegExp(`^${glob(ent!)}:${glob(op)}$`);
    if (patternCache.size > 1000) patternCache.clear(); // patterns come from settings: few, but bound it anyway
    patternCache.set(pattern, re);
  }
  return re.test(target);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight in `timezone`. */
export function localMinutes(at: number, timezone: string): number {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timezone, f);
  }
  const parts = f.formatToParts(new Date(at));
  const h = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const m = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return h * 60 + m;
}

/** [from, to) in local time; a window whose end is before its start runs past midnight. */
export function inWindow(at: number, timezone: string, from: string, to: string): boolean {
  const now = localMinutes(at, timezone);
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const a = toMin(from);
  const b = toMin(to);
  if (a === b) return true;
  return a < b ? now >= a && now < b : now >= a || now < b;
}
