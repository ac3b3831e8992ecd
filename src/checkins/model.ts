import { z } from 'zod';
import { phoneSchema } from '../members/model.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');
export const daySchema = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Day = z.infer<typeof daySchema>;
export const DAYS: Day[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Defaults chosen so that, with notify's 5-minute rungs, the first person hears within 20 minutes. */
export const DEFAULT_RETRIES = 2;
export const DEFAULT_RETRY_AFTER_MIN = 5;

export const checkinBodySchema = z.strictObject({
  member_id: z.string().min(1).max(64).describe('the elder who is called'),
  times: z.array(hhmm).min(1).max(6).describe("times of day in the home's time zone"),
  days: z.array(daySchema).min(1).max(7).optional().describe('days of the week; every day when left out'),
  phone: phoneSchema.optional().describe("the number to call; the member's phone when left out"),
  language: z
    .string()
    .regex(/^[a-z]{2}(-[A-Z]{2})?$/)
    .default('en-GB')
    .describe('language of the call (speech and recognition)'),
  escalate_to: z.array(z.string().min(1).max(64)).min(1).max(6).describe('who to tell, in order, when the elder does not answer or asks for help'),
  retries: z.number().int().min(0).max(5).default(DEFAULT_RETRIES).describe('calls tried again before the family is told'),
  retry_after_min: z.number().min(1).max(60).default(DEFAULT_RETRY_AFTER_MIN).describe('minutes between tries'),
  enabled: z.boolean().default(true),
});
export type CheckinBody = z.output<typeof checkinBodySchema>;
export const checkinPatchSchema = checkinBodySchema.omit({ member_id: true }).partial().extend({ phone: phoneSchema.nullable().optional() });

export const checkinViewSchema = z.object({
  id: z.string(),
  member_id: z.string(),
  times: z.array(z.string()),
  days: z.array(daySchema),
  phone: z.string().nullable(),
  language: z.string(),
  escalate_to: z.array(z.string()),
  retries: z.number(),
  retry_after_min: z.number(),
  enabled: z.boolean(),
  next_due_at: z.string().nullable(),
  created_at: z.string(),
});
export type CheckinView = z.infer<typeof checkinViewSchema>;

export const outcomeSchema = z.enum(['ok', 'help', 'unclear', 'no_answer', 'busy', 'failed', 'machine']);
export type Outcome = z.infer<typeof outcomeSchema>;

export const attemptViewSchema = z.object({
  id: z.string(),
  checkin_id: z.string(),
  started_at: z.string(),
  state: z.enum(['calling', 'waiting', 'done', 'escalated']),
  outcome: outcomeSchema.nullable(),
  said: z.string().optional(),
  summary: z.string().optional(),
  calls: z.array(
    z.object({
      sid: z.string().nullable(),
      status: z.string(),
      answered_by: z.string().optional(),
      said: z.string().optional(),
      digits: z.string().optional(),
      outcome: outcomeSchema.optional(),
      at: z.string(),
    }),
  ),
  escalation: z
    .object({
      notification_id: z.string(),
      kind: z.string(),
      at: z.string(),
      state: z.string().optional(),
      ack_by: z.string().nullable().optional(),
      all_clear_at: z.string().nullable(),
    })
    .optional(),
});
export type AttemptView = z.infer<typeof attemptViewSchema>;

const OK_WORDS = /\b(fine|yes|yeah|yep|okay|ok|good|all right|alright|well)\b/i;
const HELP_WORDS = /\b(help|fell|fallen|fall|hurt|not (?:well|good|okay|ok|fine)|unwell|sick|pain|emergency|ambulance|can'?t get up|no)\b/i;

/**
 * What an answer means. A keypress always wins (1 fine, 2 help); speech is lossy with older
 * voices, so help words beat fine words ("I'm not fine" is help) and anything else is unclear.
 */
export function classify(input: { digits?: string; speech?: string }): 'ok' | 'help' | 'unclear' {
  if (input.digits === '1') return 'ok';
  if (input.digits === '2') return 'help';
  const s = input.speech?.trim() ?? '';
  if (!s) return 'unclear';
  if (HELP_WORDS.test(s)) return 'help';
  if (OK_WORDS.test(s)) return 'ok';
  return 'unclear';
}

/** Twilio's CallStatus at the end of a call that was never answered, as an outcome. */
export function outcomeOfStatus(status: string): Outcome | undefined {
  return ({ busy: 'busy', 'no-answer': 'no_answer', failed: 'failed', canceled: 'failed' } as Record<string, Outcome>)[status];
}

/** AnsweredBy values that are not a person. */
export const isMachine = (answeredBy: string | null | undefined): boolean => /^(machine|fax)/.test(answeredBy ?? '');
