import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';
import { z } from 'zod';

import { membersErrors } from './errors.js';

import { roleSchema, type Role } from '../core/principal.js';

export { roleSchema, hasScope, type Role, type Principal, type Authenticator } from '../core/principal.js';

// ---- field rules shared by the routes and the service -------------------------------------

export const usernameSchema = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash or underscore, starting with a letter or digit');
export const displayNameSchema = z.string().trim().min(1).max(80);
/** Policy checks that need the username (not equal to it) are in passwords.ts. */
export const passwordSchema = z.string().min(10, 'at least 10 characters').max(256);
export const pinSchema = z.string().regex(/^\d{4,8}$/, '4 to 8 digits');
/**
 * A phone number as a person types it (`+44 7700 900123`, `07700 900123`, `(415) 555-0100`);
 * the services make it E.164 with the home's country (toE164) before storing it.
 */
export const phoneSchema = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^\+?[\d\s().\-\u00a0/]+$/, "Type the number with its country code, like +44 7700 900123, or set the home's country in Settings")
  .describe('a phone number: +44 7700 900123, or a local number (07700 900123) when hub.country is set; stored in E.164');

/**
 * The addresses a channel knows a member by: a Telegram private chat (its id is the user's),
 * a phone number (SMS and calls). One member may have several; one address one member.
 */
export const identityKindSchema = z.enum(['telegram_chat', 'phone']);
export type IdentityKind = z.infer<typeof identityKindSchema>;

/**
 * A phone number in E.164 (`+15551234567`) from the ways people and carriers write one
 * (`+1 (555) 123-4567`, `0044 20 7946 0958`), or a local number (`07700 900123`) in the home's
 * `country` (ISO 3166 alpha-2); undefined when it cannot be a number. Without a country code nor
 * a home country there is no telling which country is meant. Local numbers are read with
 * libphonenumber-js's small metadata and must have a possible length for that country.
 */
export function normalizePhone(raw: string, country?: string): string | undefined {
  const compact = raw
    .trim()
    .replace(/[\s().\-\u00a0/]/g, '')
    .replace(/^00/, '+');
  if (/^\+[1-9]\d{6,14}$/.test(compact)) return compact;
  if (!country || !/^\d{3,17}$/.test(compact)) return undefined;
  try {
    const parsed = parsePhoneNumberFromString(compact, country.toUpperCase() as CountryCode);
    return parsed?.isPossible() && /^\+[1-9]\d{6,14}$/.test(parsed.number) ? parsed.number : undefined;
  } catch {
    return undefined;
  }
}

/** normalizePhone for what a person typed in a form: the plain sentence names the field when it is not a number. */
export function toE164(raw: string, country: string | undefined, field = 'phone'): string {
  const e164 = normalizePhone(raw, country);
  if (e164) return e164;
  const where = country ? `a phone number in ${country.toUpperCase()}` : "a phone number with a country code, and the home's country is not set";
  throw membersErrors.error(
    'VALIDATION_FAILED',
    `"${raw}" is not ${where}. Type the number with its country code, like +44 7700 900123, or set the home's country in Settings.`,
    undefined,
    field,
  );
}

/** An identity's value as stored: phones in E.164, chat ids as decimal text. */
export function identityValue(kind: IdentityKind, value: string | number): string | undefined {
  if (kind === 'phone') return normalizePhone(String(value));
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isSafeInteger(n) && n !== 0 ? String(n) : undefined;
}

/** A member as the service hands it out: never a hash. */
export const memberSchema = z.object({
  id: z.string(),
  username: z.string(),
  display_name: z.string(),
  role: roleSchema,
  phone: z.string().nullable(),
  telegram_user_id: z.number().int().nullable(),
  disabled: z.boolean(),
  has_password: z.boolean(),
  has_pin: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Member = z.infer<typeof memberSchema>;

/** What the owner and the member themselves see (the same fields: none of them secret). */
export const memberViewSchema = memberSchema;
export type MemberView = z.infer<typeof memberViewSchema>;

/** What other adults see of a member: who, not how to reach them. */
export const memberSummarySchema = memberSchema.pick({ id: true, username: true, display_name: true, role: true });
export type MemberSummary = z.infer<typeof memberSummarySchema>;

export interface MemberFilter {
  role?: Role;
  include_disabled?: boolean;
}
