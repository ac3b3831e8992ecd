import type { ApprovalRule, Risk, RoleRule, WindowRule } from '../../api/types';
import { listWords, roleWords } from '../../lib/format';

export const RISKS: Risk[] = ['low', 'medium', 'high', 'critical'];
export const RISK_WORDS: Record<Risk, string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const roles = (rs: string[]) => listWords(rs.map((r) => `${(roleWords[r] ?? r).toLowerCase()}s`));

/** "High-risk actions need 1 approval from owners, with their PIN, within 5 minutes; …" */
export function approvalSentence(risk: Risk, r: ApprovalRule): string {
  const mins = r.expiry_s >= 120 ? `${Math.round(r.expiry_s / 60)} minutes` : `${r.expiry_s} seconds`;
  const parts = [
    `${RISK_WORDS[risk]}-risk actions need ${r.quorum === 1 ? 'one approval' : `${r.quorum} approvals`} from ${roles(r.approver_roles)}`,
    r.step_up ? ', who confirm with their PIN in the web UI' : '',
    `, within ${mins}`,
    r.exclude_requester ? '; nobody approves their own request' : '',
    r.deny_ends ? '; one "no" ends the request' : '',
    r.forbid_origins.length ? `; never from ${listWords(r.forbid_origins, 'or')}` : '',
    '.',
  ];
  return parts.join('');
}

/** "Children may ask for up to medium-risk actions; low-risk ones run at once, the rest wait for approval." */
export function roleSentence(role: string, r: RoleRule): string {
  const who = `${roleWords[role] ?? cap(role)}s`;
  if (r.max_risk === null || r.allow.length === 0) return `${who} cannot ask for anything.`;
  const what = r.allow.includes('*') ? 'anything' : listWords(r.allow, 'and');
  const except = r.deny.length ? ` except ${listWords(r.deny, 'and')}` : '';
  const direct =
    r.direct_max_risk === null
      ? 'everything waits for approval'
      : r.direct_max_risk === r.max_risk
        ? 'all of it runs at once'
        : `${r.direct_max_risk === 'low' ? 'low-risk' : `up to ${r.direct_max_risk}-risk`} actions run at once, the rest wait for approval`;
  return `${who} may ask for ${what}${except}, up to ${r.max_risk} risk; ${direct}.`;
}

/** "Between 23:00 and 06:00, alarm_control_panel.*:alarm_disarm needs 2 approvals from owners or adults." */
export function windowSentence(w: WindowRule): string {
  const bits = [
    w.risk ? `counts as ${w.risk} risk` : '',
    w.quorum ? `needs ${w.quorum === 1 ? 'one approval' : `${w.quorum} approvals`}` : '',
    w.approver_roles ? `from ${roles(w.approver_roles)}` : '',
    w.step_up === true ? 'with a PIN' : w.step_up === false ? 'without a PIN' : '',
  ].filter(Boolean);
  return `Between ${w.from} and ${w.to}, ${w.match} ${bits.length ? bits.join(' ') : 'follows the usual rules'}.`;
}

export const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
