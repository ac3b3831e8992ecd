import { z } from 'zod';
import type { Origin } from '../audit/entry.js';
import type { Member } from '../members/model.js';

/**
 * The dialogue's outside: what a channel hands in (a text, or the id of a choice it was
 * offered) and what it gets back. `POST /api/v1/say` is this shape over HTTP (DESIGN).
 */
export const sayBodySchema = z.union([
  z.strictObject({ text: z.string().trim().min(1).max(1000).describe('what the person typed or said') }),
  z.strictObject({
    choice: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[A-Za-z0-9_-]+$/)
      .describe('the id of one of the choices of the last reply'),
  }),
]);
export type SayBody = z.infer<typeof sayBodySchema>;

export const choiceSchema = z.object({ id: z.string(), label: z.string() });
export type Choice = z.infer<typeof choiceSchema>;

/** What a reply is about: the intent kinds, and the dialogue's own turns (a PIN, a decision, a command word). */
export const replyIntentSchema = z.enum([
  'command',
  'question',
  'clarify',
  'unknown',
  'pin',
  'decision',
  'confirm',
  'help',
  'status',
  'devices',
  'approvals',
  'ack',
  'cancelled',
]);
export type ReplyIntent = z.infer<typeof replyIntentSchema>;

export const outcomeStatusSchema = z.enum([
  'executed',
  'unconfirmed',
  'failed',
  'pending',
  'refused',
  'approved',
  'executing',
  'denied',
  'expired',
  'cancelled',
]);

export const replyOutcomeSchema = z.object({ status: outcomeStatusSchema, approval_id: z.string().optional() });
export type ReplyOutcome = z.infer<typeof replyOutcomeSchema>;

export const dialogueReplySchema = z.object({
  reply: z.string().describe("plain words for the person, composed by the hub from the gate's outcome and the observed state"),
  intent: replyIntentSchema,
  outcome: replyOutcomeSchema.optional().describe("the gate's answer to the request (the first one waiting for approval, when there were several)"),
  outcomes: z.array(replyOutcomeSchema).optional().describe('one per gate request, when a sentence asked for several'),
  choices: z.array(choiceSchema).optional().describe('answers to offer as buttons; send one back as {choice: id}'),
});
export type DialogueReply = z.infer<typeof dialogueReplySchema> & {
  /** For button transports: a few words for the button's toast, when `reply` also goes into the chat. */
  short?: string;
  /** The person's message was a secret (a PIN): a transport that can delete it should. */
  secret?: boolean;
};

/** One turn: who speaks, over what channel, and either a text or a choice. */
export interface Turn {
  member: Member;
  channel: Origin;
  text?: string;
  choice?: string;
}
