import type { AuditEntry } from '../api/types';
import { actionWords } from './names';

interface Names {
  entity: (id: string) => string;
  member: (id: string | null) => string;
}

type ActionData = { entity_id?: string; operation?: string; params?: Record<string, unknown> };

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
  switch (e.kind) {
    case 'action.requested':
      return `${who} asked to ${what}, which ran at once`;
    case 'approval.requested':
      return `${who} asked to ${what} (${String(d.risk ?? '')} risk, needs approval)`;
    case 'action.refused':
      return `${who} asked to ${what}; refused: ${String(d.message ?? d.code ?? '')}`;
    case 'approval.decided':
      return d.decision === 'approve' ? `${who} approved` : `${who} said no`;
    case 'approval.decision_refused':
      return `${who} tried to ${d.decision === 'approve' ? 'approve' : 'deny'}, and was refused (${String(d.code ?? '')})`;
    case 'auth.pin.failed':
      return `${who} typed a wrong PIN`;
    case 'approval.cancelled':
      return `${who} cancelled the request`;
    case 'approval.expired':
      return 'Nobody answered in time: the request expired';
    case 'approval.executing':
      return 'Hearth sent the command';
    case 'action.executed':
      return d.sent
        ? `Hearth sent the command to ${action?.entity_id ? names.entity(action.entity_id) : 'the device'}`
        : `Hearth could not send the command: ${String(d.error ?? '')}`;
    case 'action.confirmed':
    case 'approval.executed':
      return detail.message ? `Done: ${detail.message}` : 'The device reported the new state';
    case 'action.unconfirmed':
    case 'approval.unconfirmed':
      return `The device did not confirm${detail.message ? `: ${detail.message}` : ''}`;
    case 'action.failed':
    case 'approval.failed':
      return `It failed${detail.message ? `: ${detail.message}` : ''}`;
    case 'entity.updated':
      return `${who} changed its name, room or visibility`;
    default:
      return `${who}: ${e.kind}`;
  }
}
