import type { Envelope, GateOutcome } from '../gate/model.js';
import type { Member } from '../members/model.js';
import type { OfferedChoice } from './state.js';
import type { DialogueReply } from './model.js';

/** What a person reads when nothing could be made of their sentence. */
export const NOT_UNDERSTOOD = 'Sorry, I didn\'t understand that. Try "turn off the kitchen light", "is the garage open?", "lock up" or /help.';

const POLICY_REFUSALS = new Set(['ROLE_NOT_ALLOWED', 'ORIGIN_FORBIDDEN', 'PROPOSER_FORBIDDEN']);

/** One gate outcome in plain words: composed from the gate's answer, never from a model's text. */
export function outcomeLine(what: string, out: GateOutcome, approvers: (env: Envelope) => string): string {
  switch (out.status) {
    case 'executed':
      return `Done: ${what}.`;
    case 'unconfirmed':
      return `Sent, but I could not confirm it: ${what}. ${out.detail.message}`;
    case 'failed':
      return `That did not work: ${what}. ${out.detail.message}`;
    case 'refused':
      // Who refused: the home's rules (set by its owner) for a policy refusal; the message says why.
      return POLICY_REFUSALS.has(out.code) ? `I can't ${what}: the home's rules say no — ${out.message}.` : `I can't ${what}: ${out.message}`;
    case 'pending':
      return `I need approval to ${what}. Waiting for approval from ${approvers(out.envelope)}.`;
  }
}

/** "Olivia", "Olivia or Sam": who may approve an envelope, by name. */
export function approverNames(env: Envelope, members: Member[]): string {
  const names = members
    .filter((m) => !m.disabled && env.policy.approver_roles.includes(m.role) && !(env.policy.exclude_requester && m.id === env.origin.member_id))
    .map((m) => m.display_name);
  if (names.length === 0) return 'an approver';
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Whether a member may decide an envelope (the gate checks again when they do). */
export function mayDecide(member: Member, env: Envelope): boolean {
  return env.policy.approver_roles.includes(member.role) && !(env.policy.exclude_requester && env.origin.member_id === member.id);
}

/**
 * A reply with its choices as numbered lines, for transports that show text only (SMS, a
 * chat without buttons) or where typing an answer should also work (Telegram's clarifying
 * questions).
 */
export function withNumberedChoices(reply: DialogueReply): string {
  const choices = reply.choices ?? [];
  if (choices.length === 0) return reply.reply;
  const hint = choices.some((c) => c.label === ALL_LABEL) ? 'Reply with a number, a name, or "all".' : 'Reply with a number.';
  return `${reply.reply}\n${choices.map((c, i) => `${i + 1}. ${c.label}`).join('\n')}\n${hint}`;
}

export const ALL_LABEL = 'All of them';

const FILLER = new Set(['the', 'one', 'please', 'that', 'light', 'lights', 'lamp', 'thanks', 'just']);

/** A typed answer to offered choices: "2", "both", "the kitchen one", "yes"; undefined when it is not one. */
export function typedChoice(choices: OfferedChoice[], text: string): OfferedChoice | undefined {
  const t = text
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, ' ')
    .trim()
    .replace(/\s+/g, ' ');
  if (/^\d{1,2}$/.test(t)) return choices[Number(t) - 1];
  const exact = choices.find((c) => c.label.toLowerCase() === t);
  if (exact) return exact;
  if (/^(all|both|all of them|every one|everything)$/.test(t)) return choices.find((c) => c.label === ALL_LABEL);
  const words = t.split(' ').filter((w) => w.length > 2 && !FILLER.has(w));
  const hits = words.length ? choices.filter((c) => c.label !== ALL_LABEL && words.every((w) => c.label.toLowerCase().includes(w))) : [];
  return hits.length === 1 ? hits[0] : undefined;
}
