import type { FastifyInstance } from 'fastify';
import { HearthError } from '../core/errors.js';

/**
 * Adds `Retry-After` to every 429 a plugin's routes answer whose error carries
 * `details.retry_after_s` (logins, setup, PINs, current passwords). The members routes use it,
 * and so does any other part whose routes check a PIN (the gate's decision route).
 */
export function addRetryAfterHeader(app: FastifyInstance): void {
  app.addHook('onError', async (_req, reply, err) => {
    const wait = err instanceof HearthError && err.status === 429 ? (err.details as { retry_after_s?: number } | undefined)?.retry_after_s : undefined;
    if (wait) reply.header('Retry-After', String(wait));
  });
}
