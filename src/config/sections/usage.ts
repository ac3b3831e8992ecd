import { z } from 'zod';

export const usageKindSchema = z.enum(['llm_tokens', 'call_minutes', 'sms']);
export type UsageKind = z.infer<typeof usageKindSchema>;

const cap = z.number().int().min(0).nullable();
const caps = z.strictObject({ llm_tokens: cap.optional(), call_minutes: cap.optional(), sms: cap.optional() });

export const usageSection = z
  .strictObject({
    caps: z
      .strictObject({
        llm_tokens: cap.default(200_000).describe('Model tokens (prompt and answer) per member per month; null: no cap.'),
        call_minutes: cap.default(null).describe('Telephone call minutes per member per month; null: no cap.'),
        sms: cap.default(null).describe('Text messages per member per month; null: no cap.'),
      })
      .prefault({})
      .describe("What each member may spend per month (in the home's time zone), by kind."),
    member_caps: z.record(z.string().max(64), caps).default({}).describe('Caps for one member by member id, over `caps`: {"m_abc": {"llm_tokens": 50000}}.'),
    alert_at: z
      .array(z.number().min(0.01).max(1))
      .max(5)
      .default([0.8, 1])
      .describe('Fractions of a cap at which the owner is told (once per member, kind and month).'),
    months_kept: z.number().int().min(1).max(120).default(24).describe('Months of usage kept.'),
  })
  .describe('Usage that costs money or memory (model tokens, call minutes, SMS), counted per member and month; caps are reserved before spending.');
