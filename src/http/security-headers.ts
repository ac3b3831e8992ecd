import type { FastifyInstance } from 'fastify';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The usual headers, written here rather than through another dependency. */
export function securityHeaders(app: FastifyInstance, tls: boolean): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    // Swagger UI sets its own policy for its pages.
    if (!request.url.startsWith('/api/docs') && !reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', CSP);
    if (tls) reply.header('Strict-Transport-Security', 'max-age=31536000');
    // API answers are not kept by browsers, unless a route says how (GET /entities: kept, revalidated with its ETag).
    if (request.url.startsWith('/api/') && !reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    return payload;
  });
}
