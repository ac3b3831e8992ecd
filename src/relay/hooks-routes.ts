import type { FastifyPluginAsync } from 'fastify';
import { hubIdSchema } from '../link/messages.js';
import type { RelayTelephony } from './telephony.js';

/**
 * POST /hooks/<hub_id>/hooks/twilio/*: Twilio's webhooks for a hub in hybrid mode, outside the
 * relay's account auth (the signature is the authentication). Form bodies in, TwiML out.
 */
export function relayHookRoutes(telephony: RelayTelephony): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.post<{ Params: { hub: string } }>('/hooks/:hub/*', async (req, reply) => {
      const hub = hubIdSchema.safeParse(req.params.hub);
      if (!hub.success) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no such hub' } });
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, string>;
      const signature = req.headers['x-twilio-signature'];
      const token = req.headers['i-twilio-idempotency-token'];
      const answer = await telephony.handleHook(
        hub.data,
        req.url,
        body,
        typeof signature === 'string' ? signature : undefined,
        typeof token === 'string' ? token.slice(0, 200) : undefined,
      );
      if (answer.error) return reply.status(answer.status).send({ error: answer.error });
      return reply.status(answer.status).type('text/xml').send(answer.twiml);
    });
  };
}
