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
