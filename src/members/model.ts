import { z } from 'zod';

/** The roles of DESIGN. `support` is a relay engineer's role and can do nothing in the home. */
export const roleSchema = z.enum(['owner', 'adult', 'child', 'elder', 'guest', 'support']);
export type Role = z.infer<typeof roleSchema>;

/** Who is making a request, once the session cookie or bearer token has been checked. */
export interface Principal {
  member_id: string;
  username: string;
  display_name: string;
  role: Role;
  via: 'session' | 'token';
  session_id?: string;
  token_id?: string;
  /** For API tokens: what the token may do (`*` = all its member may do). */
  scopes?: string[];
  /** When the session or token stops being valid (ISO); what was opened with it (event streams) ends then. */
  expires_at?: string;
}

/** How the HTTP layer learns who is calling; the members part implements it. */
export interface Authenticator {
  authenticate(request: { headers: Record<string, string | string[] | undefined>; cookies?: Record<string, string | undefined> }): Principal | null;
}

/**
 * Whether a principal may use `scope` (such as `actions` or `audit:read`). Sessions may do
 * all their role allows; a token only what its scopes name (`*` = everything, `audit:*` =
 * every audit scope). Routes that want scoped tokens call this after their role guard.
 */
export function hasScope(principal: Principal, scope: string): boolean {
  if (principal.via === 'session') return true;
  return (principal.scopes ?? []).some((s) => s === '*' || s === scope || (s.endsWith(':*') && scope.startsWith(s.slice(0, -1))));
}

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
