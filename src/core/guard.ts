import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { forbidden, unauthorized } from './errors.js';
import { hasScope, type Principal, type Role } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every request; null when nobody is signed in. */
    principal: Principal | null;
  }
}

/** Areas that judge tokens themselves: who am I; tokens (no token mints one; listing needs `tokens`). */
const UNSCOPED_AREAS = new Set(['auth', 'tokens']);
/** Areas whose routes act in another area's name: what `/say` says may ask the gate for actions. */
const AREA_SCOPES: Record<string, string> = { say: 'actions' };

/**
 * What a route needs from a narrow API token: the area is the first path segment under
 * /api/v1 (`settings`, `audit`, `support`…), read for GET/HEAD and write otherwise. The token
 * passes with `*`, the area itself (`audit`), `<area>:*` or `<area>:<access>` (`audit:read`).
 */
export function routeScope(request: FastifyRequest): { area: string; access: 'read' | 'write' } | undefined {
  const m = /^\/api\/v1\/([^/]+)/.exec(request.routeOptions.url ?? '');
  if (!m || UNSCOPED_AREAS.has(m[1]!)) return undefined;
  return { area: AREA_SCOPES[m[1]!] ?? m[1]!, access: request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write' };
}

/**
 * Route guard: 401 when nobody is signed in, 403 when the member's role is not in `roles`,
 * and 403 SCOPE_REQUIRED when a bearer token's scopes do not cover the route (a token made
 * for reading the audit must not change settings just because its member is an owner).
 */
export function requireRole(...roles: Role[]): preHandlerHookHandler {
  return (request: FastifyRequest, _reply: FastifyReply, done) => {
    const p = request.principal;
    if (!p) return done(unauthorized());
    if (roles.length > 0 && !roles.includes(p.role)) return done(forbidden(`This needs the role ${roles.join(' or ')}`, 'ROLE_REQUIRED'));
    const need = p.via === 'token' ? routeScope(request) : undefined;
    if (need && !hasScope(p, need.area) && !hasScope(p, `${need.area}:${need.access}`)) {
      return done(forbidden(`This token lacks the scope ${need.area} (or ${need.area}:${need.access})`, 'SCOPE_REQUIRED'));
    }
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

/**
 * requireRole('owner') for a route that makes one of the hub's own changes (`entity`, such as
 * hub.members): a member of another role who tries is refused like at a door, and the refusal
 * is in the audit trail (`action.refused`, code ROLE_REQUIRED).
 */
export function requireOwnerFor(
  audit: { append(e: { actor: string; origin: 'web' | 'api'; kind: string; subject?: string | null; data: Record<string, unknown> }): unknown },
  entity: string,
): preHandlerHookHandler {
  const owner = requireRole('owner');
  return (request, reply, done) => {
    const p = request.principal;
    if (p && p.role !== 'owner') {
      audit.append({
        actor: p.member_id,
        origin: p.via === 'token' ? 'api' : 'web',
        kind: 'action.refused',
        data: {
          action: { entity_id: entity, operation: null, params: {} },
          route: `${request.method} ${request.routeOptions.url ?? request.url}`,
          code: 'ROLE_REQUIRED',
          role: p.role,
        },
      });
    }
    owner.call(request.server, request, reply, done);
  };
}
