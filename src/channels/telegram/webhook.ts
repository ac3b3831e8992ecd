import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { HearthError } from '../../core/errors.js';
import { safeEqual } from '../../core/ids.js';
import type { TelegramService } from './service.js';

/**
 * POST /api/v1/telegram/webhook/<secret>: Telegram (or the relay) delivers updates here in
 * webhook mode. Both the path secret and X-Telegram-Bot-Api-Secret-Token must match. The
 * update is queued and answered at once: Telegram resends on anything but a 2xx.
 */
export function telegramWebhookRoutes(service: TelegramService): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/telegram/webhook/:secret',
      {
        schema: { tags: ['telegram'], summary: 'Telegram webhook (secret path and header)', security: [], params: z.object({ secret: z.string().max(256) }), body: z.unknown() },
        bodyLimit: 1_048_576,
      },
      async (req, reply) => {
        const header = req.headers['x-telegram-bot-api-secret-token'];
        if (!service.enabled || typeof header !== 'string' || !safeEqual(req.params.secret, service.webhookSecret) || !safeEqual(header, service.webhookSecret)) {
          throw new HearthError('NOT_FOUND', 'No such route', 404);
        }
        service.dispatch(req.body);
        return reply.status(200).send({ ok: true });
      },
    );
  };
}
