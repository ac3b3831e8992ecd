import { z } from 'zod';
import { displayNameSchema, memberSummarySchema, memberViewSchema, passwordSchema, phoneSchema, pinSchema, roleSchema, usernameSchema } from './model.js';

/**
 * Request and response shapes of the members routes. Bodies are strict: an unknown field
 * is a 400, so a typo (`pasword`) never silently does nothing.
 */

export const setupBodySchema = z.strictObject({
  setup_code: z.string().min(1).max(40),
  username: usernameSchema,
  password: passwordSchema,
  display_name: displayNameSchema,
  pin: pinSchema.optional(),
});
export type SetupBody = z.infer<typeof setupBodySchema>;

export const setupStateSchema = z.object({ needed: z.boolean() });

export const loginBodySchema = z.strictObject({
  // Loose on purpose: a malformed username is just a failed login, not a hint about the rules.
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1024),
});
export type LoginBody = z.infer<typeof loginBodySchema>;

export const signedInSchema = z.object({ member: memberViewSchema, expires_at: z.string() });
export const meSchema = z.object({
  member: memberViewSchema,
  via: z.enum(['session', 'token']),
  scopes: z.array(z.string()).optional(),
  home: z
    .object({ name: z.string(), timezone: z.string() })
    .describe("The home's name and time zone, for every member (the rest of the settings are the owner's)"),
  household: z
    .array(z.object({ id: z.string(), display_name: z.string() }))
    .describe('Everyone in the home by the name they go by, so any member’s screens can say who asked and who approved (no usernames, roles or phones)'),
});

export const scopeSchema = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)?)$/, 'a scope such as *, actions, audit:read or audit:*')
  .max(64);

export const createTokenBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(80),
  scopes: z.array(scopeSchema).min(1).max(20).optional(),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});
export type CreateTokenBody = z.infer<typeof createTokenBodySchema>;

export const tokenInfoSchema = z.object({
  id: z.string(),
  member_id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  expires_at: z.string().nullable(),
});
export const createdTokenSchema = tokenInfoSchema.extend({
  token: z.string().describe('The token itself: shown this once, stored only hashed'),
});
export const tokenListSchema = z.object({ tokens: z.array(tokenInfoSchema) });

export const idParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

export const createMemberBodySchema = z.strictObject({
  username: usernameSchema,
  display_name: displayNameSchema,
  role: roleSchema,
  password: passwordSchema.optional(),
  pin: pinSchema.optional(),
  phone: phoneSchema.optional(),
});
export type CreateMemberBody = z.infer<typeof createMemberBodySchema>;

/** What an owner may change about any member. `null` clears a PIN, a phone, a Telegram link. */
export const updateMemberBodySchema = z.strictObject({
  username: usernameSchema.optional(),
  display_name: displayNameSchema.optional(),
  role: roleSchema.optional(),
  password: passwordSchema.optional(),
  pin: pinSchema.nullable().optional(),
  phone: phoneSchema.nullable().optional(),
  disabled: z.boolean().optional(),
  telegram_user_id: z.null().optional().describe("null unlinks the member's Telegram account"),
  current_password: z.string().max(1024).optional().describe('needed when changing your own password or PIN'),
});
export type UpdateMemberBody = z.infer<typeof updateMemberBodySchema>;

/** What every member may change about themselves (PATCH /members/me). */
export const updateSelfBodySchema = updateMemberBodySchema.pick({
  display_name: true,
  password: true,
  pin: true,
  phone: true,
  current_password: true,
});
export type UpdateSelfBody = z.infer<typeof updateSelfBodySchema>;

export const membersQuerySchema = z.strictObject({
  role: roleSchema.optional(),
  include_disabled: z.enum(['true', 'false']).optional(),
});

/** Owners see every field; other adults see who is in the home, not how to reach them. */
export const memberListSchema = z.object({ members: z.array(z.union([memberViewSchema, memberSummarySchema])) });

export const pairingCodeSchema = z.object({
  code: z.string().describe("Send it to the hub's Telegram bot within 15 minutes; it works once"),
  expires_at: z.string(),
});

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });
