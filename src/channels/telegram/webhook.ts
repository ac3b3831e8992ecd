import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { safeEqual } from '../../core/ids.js';
import type { TelegramService } from './service.js';
import { requireSignedIn } from '../../core/guard.js';
import { telegramErrors } from './errors.js';

/**
 * POST /api/v1/telegram/webhook/<secret>: Telegram (or the relay) delivers updates here in
 * webhook mode. Both the path secret and X-Telegram-Bot-Api-Secret-Token must match. The
 * update is queued and answered at once: Telegram resends on anything but a 2xx.
 */
/** GET /telegram/bot: the home's bot as the pairing page needs it. */
export const telegramBotSchema = z.object({
  configured: z.boolean(),
  username: z.string().nullable(),
  link: z.string().nullable().describe('https://t.me/<username>'),
});

export function telegramWebhookRoutes(service: TelegramService): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/telegram/bot',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['telegram'],
          summary: "The home's Telegram bot: set up or not, and its @username (getMe) for pairing links",
          response: { 200: telegramBotSchema },
        },
      },
      async () => {
        const username = service.enabled ? await service.botUsername() : undefined;
        return { configured: service.enabled, username: username ?? null, link: username ? `https://t.me/${username}` : null };
      },
    );
    r.post(
      '/telegram/webhook/:secret',
      {
        schema: {
          tags: ['telegram'],
          summary: 'Telegram webhook (secret path and header)',
          security: [],
          params: z.object({ secret: z.string().max(256) }),
          body: z.unknown(),
        },
        bodyLimit: 1_048_576,
      },
      async (req, reply) => {
        const header = req.headers['x-telegram-bot-api-secret-token'];
        if (
          !service.enabled ||
          typeof header !== 'string' ||
          !safeEqual(req.params.secret, service.webhookSecret) ||
          !safeEqual(header, service.webhookSecret)
        ) {
          throw telegramErrors.error('NOT_FOUND', 'No such route');
        }
        service.dispatch(req.body);
        return reply.status(200).send({ ok: true });
      },
    );
  };
}
