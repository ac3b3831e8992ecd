import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../core/errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Where a browser says a request came from, compared with the host it was sent to:
 * `Sec-Fetch-Site` when the browser sends it, else `Origin`, else `Referer`. Undefined when the
 * request carries none of them (curl, scripts: not a browser acting for someone else).
 */
export function crossOrigin(request: FastifyRequest): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none' ? undefined : `Sec-Fetch-Site: ${site}`;
  const from = request.headers.origin ?? request.headers.referer;
  if (typeof from !== 'string') return undefined;
  let host: string;
  try {
    host = new URL(from).host;
  } catch {
    return `origin ${from.slice(0, 100)}`;
  }
  // request.host follows X-Forwarded-Host only behind a trusted proxy (http.trust_proxy).
  return host === request.host ? undefined : `origin ${host}`;
}

/**
 * CSRF: the session cookie is SameSite=Strict, but another port on the same host is the same
 * *site*, so a page there could POST with the member's cookie. Every state-changing request
 * authenticated by the cookie must come from this origin; bearer tokens are not sent by browsers
 * on their own and are exempt.
 */
export function sameOriginForCookies(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method) || request.principal?.via !== 'session') return;
    const other = crossOrigin(request);
    if (other) throw forbidden(`Requests signed in with the session cookie must come from this hub's own pages (${other})`, 'CROSS_ORIGIN');
  });
}
