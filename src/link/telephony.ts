import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json.js';

/**
 * Hybrid-mode telephony over the link (shared by the hub and the relay). The relay terminates
 * Twilio's webhooks for a hub and forwards each as the RPC `twilio.hook`; it pulls the hub's
 * telephony profile (Twilio credentials and who to tell) with the signed RPC `telephony.profile`
 * when the hub says it changed (`telephony.changed` on up/events, a digest only) or comes online;
 * it hands back what it did while the hub was away with `telephony.import`.
 */

const phone = z.string().regex(/^\+[1-9]\d{6,14}$/);
const person = z.object({ name: z.string().max(200), phone });

export const telephonyProfileSchema = z.object({
  account_sid: z.string().regex(/^AC[0-9a-f]{32}$/i),
  auth_token: z.string().min(1).max(200),
  from: phone,
  /** Elders with check-ins: the numbers they are called on, and who to tell, in order. */
  elders: z
    .array(z.object({ member_id: z.string().max(100), name: z.string().max(200), phones: z.array(phone).max(10), contacts: z.array(person).max(20) }))
    .max(100),
  /** The home's owners, told when the hub has been offline too long. */
  owners: z.array(person).max(20),
});
export type TelephonyProfile = z.infer<typeof telephonyProfileSchema>;

export const hookRequestSchema = z.object({
  path: z.string().startsWith('/hooks/twilio/').max(500),
  params: z.record(z.string(), z.string().max(4000)),
  token: z.string().max(200).optional(),
});
export type HookRequest = z.infer<typeof hookRequestSchema>;

export const hookResultSchema = z.object({ status: z.number().int(), twiml: z.string().max(100_000) });

/** What the relay did on its own while the hub did not answer. */
export const fallbackRecordSchema = z.object({
  id: z.string().min(8).max(100),
  at: z.number().int(),
  path: z.string().max(500),
  call_sid: z.string().max(64).optional(),
  /** The check-in attempt the webhook was about (from its path), when it was one. */
  attempt_id: z.string().max(100).optional(),
  member_id: z.string().max(100).optional(),
  outcome: z.enum(['ok', 'help', 'unclear', 'no_answer', 'busy', 'failed', 'machine', 'answered_politely']),
  digits: z.string().max(32).optional(),
  said: z.string().max(500).optional(),
  escalated_to: z.array(z.object({ name: z.string(), phone, sid: z.string().optional(), error: z.string().optional() })),
});
export type FallbackRecord = z.infer<typeof fallbackRecordSchema>;

export const importRequestSchema = z.object({ records: z.array(fallbackRecordSchema).max(200) });

/** The digest the hub announces on `telephony.changed`; the relay pulls the profile when it differs from its copy's. */
export const profileDigest = (p: TelephonyProfile): string => createHash('sha256').update(canonicalJson(p)).digest('hex');
