import type { AuditEntry } from '../api/types';
import { actionWords } from './names';

interface Names {
  entity: (id: string) => string;
  member: (id: string | null) => string;
}

type ActionData = { entity_id?: string; operation?: string; params?: Record<string, unknown> };

const POLICY_CODES = new Set(['ROLE_NOT_ALLOWED', 'ROLE_REQUIRED', 'ORIGIN_FORBIDDEN', 'PROPOSER_FORBIDDEN', 'NO_APPROVER']);
const DECISION_REFUSALS: Record<string, string> = {
  ALREADY_DECIDED: 'they had already decided',
  APPROVAL_EXPIRED: 'the request had expired',
  APPROVAL_FINISHED: 'the request was already over',
  SELF_APPROVAL_FORBIDDEN: 'someone else must approve their own request',
  NOT_AN_APPROVER: 'they may not decide this one',
};

/**
 * One audit entry as a sentence: "Sam asked to unlock Front door", "Dana approved",
 * "Front door was renamed". Kinds without words fall back to the kind, so nothing is hidden.
 */
export function auditSentence(e: AuditEntry, names: Names): string {
  const who = e.actor === 'system' ? 'Hearth' : names.member(e.actor);
  const d = e.data;
  const action = d.action as ActionData | undefined;
  const what = action?.operation && action.entity_id ? actionWords(action.operation, names.entity(action.entity_id), action.params ?? {}) : 'do something';
  const detail = (d.detail ?? d) as { message?: string };
  // The hub's messages name entities by id ("lock.demo_front_door reports unlocked"): name them.
  const words = (m: unknown) => String(m ?? '').replace(/\b[a-z_]+\.[a-z0-9_]+\b/g, (id) => names.entity(id));
  switch (e.kind) {
    case 'action.requested':
      return `${who} asked to ${what}, which ran at once`;
    case 'approval.requested':
      return `${who} asked to ${what} (${String(d.risk ?? '')} risk, needs approval)`;
    case 'action.refused':
      // Who refused and why: the home's rules (the policy), or the hub for anything else.
      return POLICY_CODES.has(String(d.code))
        ? `${who} asked to ${what}; the home's rules refused it: ${words(d.message)}`
        : `${who} asked to ${what}; Hearth refused: ${words(d.message ?? d.code)}`;
    case 'approval.decided':
      if (d.decision === 'approve') return d.by_requester ? `${who} approved their own request with their PIN` : `${who} approved`;
      return d.reason ? `${who} said no: “${String(d.reason)}”` : `${who} said no`;
    case 'approval.decision_refused':
      if (d.code === 'PIN_INVALID') return `${who} typed a wrong PIN`;
      if (d.code === 'PIN_REQUIRED') return `${who} tried to approve without a PIN`;
      return `${who} tried to ${d.decision === 'approve' ? 'approve' : 'say no'}, and Hearth refused (${DECISION_REFUSALS[String(d.code)] ?? String(d.code ?? '')})`;
    case 'auth.pin.failed':
      return `${who} typed a wrong PIN`;
    case 'approval.cancelled':
      return `${who} cancelled the request`;
    case 'approval.expired':
      return 'Nobody answered in time: the request expired';
    case 'approval.executing':
      return 'Enough approvals: the request goes ahead';
    case 'action.executed':
      return d.sent
        ? `Hearth sent the command to ${action?.entity_id ? names.entity(action.entity_id) : 'the device'}`
        : `Hearth could not send the command: ${String(d.error ?? '')}`;
    case 'action.confirmed':
    case 'approval.executed':
      return detail.message ? `Done: ${words(detail.message).replace(' reports ', ' reported ')}` : 'The device reported the new state';
    case 'action.unconfirmed':
    case 'approval.unconfirmed':
      return `The device did not confirm${detail.message ? `: ${words(detail.message)}` : ''}`;
    case 'action.failed':
    case 'approval.failed':
      return `It failed${detail.message ? `: ${words(detail.message)}` : ''}`;
    case 'entity.updated':
      return `${who} changed its name, room or visibility`;
    default:
      return `${who}: ${e.kind}`;
  }
}
