import type { ApprovalRule, Entity, Risk, RoleRule, WindowRule } from '../../api/types';
import { count, listWords, rolePlural } from '../../lib/format';
import { rulesWords } from './policy-rule-words';

export const RISKS: Risk[] = ['low', 'medium', 'high', 'critical'];
export const RISK_WORDS: Record<Risk, string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
export const roles = (rs: string[]) => listWords(rs.map(rolePlural));

/** "High-risk actions need 1 approval from owners, with their PIN, within 5 minutes; …" */
export function approvalSentence(risk: Risk, r: ApprovalRule): string {
  const mins = r.expiry_s >= 120 ? count(Math.round(r.expiry_s / 60), 'minute') : count(r.expiry_s, 'second');
  const parts = [
    `${RISK_WORDS[risk]}-risk actions need ${count(r.quorum, 'approval', 'approvals', true)} from ${roles(r.approver_roles)}`,
    r.step_up ? ', who confirm with their PIN in the web UI' : '',
    `, within ${mins}`,
    r.exclude_requester ? '; nobody approves their own request' : '',
    r.deny_ends ? '; one "no" ends the request' : '',
    r.forbid_origins.length ? `; never from ${listWords(r.forbid_origins, 'or')}` : '',
    '.',
  ];
  return parts.join('');
}

/** "Children may turn on or turn off all lights, up to medium risk; low-risk actions run at once, the rest wait for approval." */
export function roleSentence(role: string, r: RoleRule, entities: Entity[] = []): string {
  const who = cap(rolePlural(role));
  if (r.max_risk === null || r.allow.length === 0) return `${who} cannot ask for anything.`;
  const what = rulesWords(r.allow, entities);
  const except = r.deny.length ? ` except ${rulesWords(r.deny, entities)}` : '';
  const direct =
    r.direct_max_risk === null
      ? 'everything waits for approval'
      : r.direct_max_risk === r.max_risk
        ? 'all of it runs at once'
        : `${r.direct_max_risk === 'low' ? 'low-risk' : `up to ${r.direct_max_risk}-risk`} actions run at once, the rest wait for approval`;
  return `${who} may ${what === 'anything' || what.startsWith('anything ') ? `ask for ${what}` : what}${except}, up to ${r.max_risk} risk; ${direct}.`;
}

/** "Between 23:00 and 06:00, alarm_control_panel.*:alarm_disarm needs 2 approvals from owners or adults." */
export function windowSentence(w: WindowRule): string {
  const bits = [
    w.risk ? `counts as ${w.risk} risk` : '',
    w.quorum ? `needs ${count(w.quorum, 'approval', 'approvals', true)}` : '',
    w.approver_roles ? `from ${roles(w.approver_roles)}` : '',
    w.step_up === true ? 'with a PIN' : w.step_up === false ? 'without a PIN' : '',
  ].filter(Boolean);
  return `Between ${w.from} and ${w.to}, ${w.match} ${bits.length ? bits.join(' ') : 'follows the usual rules'}.`;
}

export const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
