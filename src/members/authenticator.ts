import type { Authenticator, Principal } from './model.js';
import { sessionCookieFrom, type SessionStore } from './sessions.js';
import type { TokenStore } from './tokens.js';

/**
 * Runs on every request: one hash and one indexed, prepared SELECT. A bearer header wins
 * over a cookie, and a bad bearer token is not rescued by a cookie (clients should see
 * their token failing).
 */
export class MembersAuthenticator implements Authenticator {
  constructor(
    private readonly sessions: SessionStore,
    private readonly tokens: TokenStore,
  ) {}

  authenticate(request: { headers: Record<string, string | string[] | undefined>; cookies?: Record<string, string | undefined> }): Principal | null {
    const auth = request.headers.authorization;
    if (typeof auth === 'string' && auth.length > 0) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      return m ? this.tokens.lookup(m[1]!) : null;
    }
    const cookie = sessionCookieFrom(request.headers, request.cookies);
    return cookie ? this.sessions.lookup(cookie) : null;
  }
}
