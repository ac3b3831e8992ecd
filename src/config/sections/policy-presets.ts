import { DEFAULT_APPROVALS, DEFAULT_ROLES, DEFAULT_WINDOWS, type PolicySettings } from './policy.js';

export const PRESET_NAMES = ['relaxed', 'balanced', 'strict'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
/** The parts of the policy a preset sets; the rest (risks, per-device overrides, hub changes) stays as it is. */
export type PolicyPreset = Pick<PolicySettings, 'roles' | 'approvals' | 'windows'>;

const copy = <T>(v: T): T => structuredClone(v);

/**
 * Three starting points for the policy form. Balanced is the built-in default; relaxed lets
 * adults do medium-risk things at once and lets adults approve high-risk ones; strict asks
 * the owner for more, with a PIN, and makes unlocking at night critical.
 */
export function policyPreset(name: PresetName): PolicyPreset {
  const roles = copy(DEFAULT_ROLES) as PolicySettings['roles'];
  const approvals = copy(DEFAULT_APPROVALS);
  const windows = copy(DEFAULT_WINDOWS);
  if (name === 'relaxed') {
    roles.owner.direct_max_risk = 'medium';
    roles.adult.direct_max_risk = 'medium';
    roles.elder.direct_max_risk = 'medium';
    approvals.high.approver_roles = ['adult', 'owner'];
    approvals.medium.expiry_s = 600;
    approvals.high.expiry_s = 600;
    return { roles, approvals, windows: [] };
  }
  if (name === 'strict') {
    roles.child.max_risk = 'low';
    roles.elder.max_risk = 'medium';
    roles.guest.max_risk = 'low';
    approvals.medium = { ...approvals.medium, approver_roles: ['owner'], step_up: true, expiry_s: 180 };
    approvals.high.expiry_s = 180;
    approvals.critical = { ...approvals.critical, expiry_s: 120, forbid_origins: ['llm', 'relay', 'voice'] };
    windows.push({ match: 'lock.*:unlock', from: '22:00', to: '07:00', risk: 'critical' });
    return { roles, approvals, windows };
  }
  return { roles, approvals, windows };
}
