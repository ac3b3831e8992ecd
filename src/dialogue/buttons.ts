import type { Origin } from '../audit/entry.js';
import type { GateOutcome } from '../gate/model.js';
import { describeAction } from '../intents/index.js';
import type { Member } from '../members/model.js';
import { actionsOf } from '../notify/outbox.js';
import type { DialogueDeps } from './deps.js';
import type { DialogueReply } from './model.js';

/**
 * A button under a notification (an alert's "I'll take it" or "Close the garage"), pressed
 * by a member it was delivered to. The press is the acknowledgement; an action button asks
 * the gate like any request.
 */
export async function notificationButton(
  deps: Pick<DialogueDeps, 'router' | 'gate' | 'registry' | 'members'>,
  line: (what: string, out: GateOutcome) => string,
  member: Member,
  channel: Origin,
  notificationId: string,
  index: number,
): Promise<DialogueReply> {
  const row = deps.router.outbox.notification(notificationId);
  if (!row || !deps.router.outbox.deliveriesOf(row.id).some((d) => d.member_id === member.id))
    return { reply: 'That is not one of your messages.', intent: 'ack' };
  const action = actionsOf(row)[index];
  if (!action) return { reply: 'Sorry, that button does not work.', intent: 'unknown' };
  if (row.state !== 'open')
    return { reply: `Already taken${row.ack_by ? ` by ${deps.members.get(row.ack_by)?.display_name ?? 'someone'}` : ''}.`, intent: 'ack' };
  if (action.kind === 'ack') {
    deps.router.acknowledge({ id: row.id }, member.id, channel);
    return { reply: 'Thanks, you took it.', intent: 'ack' };
  }
  if (action.kind === 'choice') {
    // An answer to a workflow's question ("Close the garage?"): the waiting run reads it.
    return { reply: deps.router.answer(row.id, member.id, channel, index) ? `Thanks: ${action.label}.` : 'Already answered.', intent: 'ack' };
  }
  if (action.kind !== 'action') return { reply: 'Sorry, that button does not work.', intent: 'unknown' };
  const what = describeAction(action.action, deps.registry.get(action.action.entity_id));
  // The press is the acknowledgement: the ladder stops and the others hear who took it now,
  // before the device has moved (which may close the alert by itself).
  deps.router.acknowledge({ id: row.id }, member.id, channel, `${member.display_name} took it (${what}).`);
  const out = await deps.gate.request({ action: action.action, origin: { member_id: member.id, channel }, reason: `button on: ${row.text.slice(0, 100)}` });
  const text = line(what, out);
  return {
    reply: text,
    intent: 'command',
    outcome: out.status === 'pending' ? { status: 'pending', approval_id: out.approval_id } : { status: out.status },
    // Anything but "done" also goes into the chat, not only the button's toast.
    ...(out.status !== 'executed' ? { short: text } : {}),
  };
}
