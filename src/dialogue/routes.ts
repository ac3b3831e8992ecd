import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../part/context.js';
import { unauthorized } from '../core/errors.js';
import { RateLimiter } from '../core/rate-limit.js';
import { channelOf } from '../gate/routes.js';
import { principalOf, requireSignedIn } from '../core/guard.js';
import type { MembersService } from '../members/service.js';
import { addRetryAfterHeader } from '../members/retry-after.js';
import type { Dialogue } from './dialogue.js';
import { dialogueReplySchema, sayBodySchema } from './model.js';
import { dialogueErrors } from './errors.js';

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A person types slowly; a script that says more than this is a flood. Per member. */
const SAY_BURST = 10;
const SAY_PER_MINUTE = 30;

/**
 * POST /api/v1/say: the dialogue over HTTP, as the web UI's chat box uses it. A session is the
 * `web` channel, a bearer token the `api` channel (its token needs the `actions` scope, since
 * what it says may ask the gate for actions). Each turn's choices belong to the member and
 * channel they were offered on.
 */
export function dialogueRoutes(ctx: HubContext, dialogue: Dialogue, members: Pick<MembersService, 'get'>): FastifyPluginAsync {
  const limiter = new RateLimiter({ burst: SAY_BURST, perSecond: SAY_PER_MINUTE / 60, maxKeys: 2_000, now: () => ctx.clock.now() });
  return async (app) => {
    addRetryAfterHeader(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/say',
      {
        preHandler: requireSignedIn,
        bodyLimit: 16_384,
        schema: {
          tags: ['dialogue'],
          summary:
            "Say something to the hub ({text}) or pick a choice it offered ({choice}); the reply is composed from the gate's outcome and the home's state",
          description: 'Token scope: `actions` (or `actions:write`). Limited to 30 turns a minute per member.',
          body: sayBodySchema,
          response: { 200: dialogueReplySchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const member = members.get(p.member_id);
        if (!member || member.disabled) throw unauthorized();
        if (!limiter.take(member.id)) {
          const wait = Math.max(1, limiter.retryAfter(member.id));
          throw dialogueErrors.error('RATE_LIMITED', `Too many messages; try again in ${wait} s`, { retry_after_s: wait });
        }
        const body = req.body;
        const reply = await dialogue.say({ member, channel: channelOf(p), ...('text' in body ? { text: body.text } : { choice: body.choice }) });
        const { short: _short, secret: _secret, ...out } = reply;
        return out;
      },
    );
  };
}
