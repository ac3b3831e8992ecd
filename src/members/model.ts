import { z } from 'zod';

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
export const phoneSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +15551234567');

/**
 * The addresses a channel knows a member by: a Telegram private chat (its id is the user's),
 * a phone number (SMS and calls). One member may have several; one address one member.
 */
export const identityKindSchema = z.enum(['telegram_chat', 'phone']);
export type IdentityKind = z.infer<typeof identityKindSchema>;

/**
 * A phone number in E.164 (`+15551234567`) from the ways people and carriers write one
 * (`+1 (555) 123-4567`, `0044 20 7946 0958`); undefined when it has no country code or is
 * not a number. Without a country code there is no telling which country is meant.
 */
export function normalizePhone(raw: string): string | undefined {
  const compact = raw
    .trim()
    .replace(/[\s().\-\u00a0]/g, '')
    .replace(/^00/, '+');
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : undefined;
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
