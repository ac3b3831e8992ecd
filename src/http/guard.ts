import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { forbidden, unauthorized } from '../core/errors.js';
import type { Principal, Role } from '../members/model.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every request; null when nobody is signed in. */
    principal: Principal | null;
  }
}

/** Route guard: 401 when nobody is signed in, 403 when the member's role is not in `roles`. */
export function requireRole(...roles: Role[]): preHandlerHookHandler {
  return (request: FastifyRequest, _reply: FastifyReply, done) => {
    const p = request.principal;
    if (!p) return done(unauthorized());
    if (roles.length > 0 && !roles.includes(p.role)) return done(forbidden(`This needs the role ${roles.join(' or ')}`, 'ROLE_REQUIRED'));
    done();
  };
}

/** Any signed-in member. */
export const requireSignedIn = requireRole();

/** The signed-in principal, for handlers behind a guard. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}
