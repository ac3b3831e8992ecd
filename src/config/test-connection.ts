import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../core/context.js';
import { HearthError } from '../core/errors.js';
import { requireRole } from '../http/guard.js';
import { connectionChecks } from '../cli/doctor-connections.js';
import type { Settings } from './schema.js';
import { homeassistantSection } from './sections/homeassistant.js';
import { telegramSection } from './sections/telegram.js';
import { twilioSection } from './sections/twilio.js';
import { linkSection } from './sections/link.js';

const sections = { homeassistant: homeassistantSection, telegram: telegramSection, twilio: twilioSection, link: linkSection } as const;
export const connectionKindSchema = z.enum(['homeassistant', 'telegram', 'twilio', 'link']);
export type ConnectionKind = z.infer<typeof connectionKindSchema>;

export const testConnectionBodySchema = z.strictObject({
  kind: connectionKindSchema,
  /** The values to try, as in that settings section; missing or `[secret]` fields use the saved ones. */
  values: z.record(z.string(), z.string()).default({}),
});
export const testConnectionResultSchema = z.object({
  kind: connectionKindSchema,
  status: z.enum(['ok', 'warn', 'fail', 'skip']),
  detail: z.string().describe('what was tried and, on failure, exactly what failed'),
});
export type TestConnectionResult = z.infer<typeof testConnectionResultSchema>;

const TIMEOUT_MS = 5000;

/**
 * POST /api/v1/settings/test-connection: tries a connection with values the owner is typing,
 * before saving them, using the same checks as `hearth doctor` (and the HA bridge's own
 * check when it has one). Nothing is stored.
 */
export function testConnectionRoutes(ctx: HubContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/settings/test-connection',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary: 'Try a Home Assistant, Telegram, Twilio or cloud-link connection without saving it',
          body: testConnectionBodySchema,
          response: { 200: testConnectionResultSchema },
        },
      },
      async (req) => {
        const { kind, values } = req.body;
        const saved = ctx.settings.get()[kind] as Record<string, unknown>;
        const merged: Record<string, unknown> = { ...saved };
        for (const [k, v] of Object.entries(values)) {
          if (v === '[secret]') continue;
          if (v === '') delete merged[k];
          else merged[k] = v;
        }
        const parsed = sections[kind].safeParse(merged);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new HearthError('INVALID_SETTINGS', `${kind}.${issue.path.join('.')}: ${issue.message}`);
        }
        // Only the asked-for section is set, so the other checks skip at once.
        const only = { homeassistant: {}, telegram: { api_root: ctx.settings.get().telegram.api_root }, twilio: {}, link: {}, llm: {}, [kind]: parsed.data } as unknown as Settings;
        const results = await connectionChecks(only, TIMEOUT_MS);
        const mine = results.find((x) => x.check === kind);
        if (!mine || mine.status === 'skip') return { kind, status: 'fail' as const, detail: `nothing to test: fill in the ${kind} fields first` };
        return { kind, status: mine.status, detail: mine.detail };
      },
    );
  };
}

/** As a part, so that hub/parts.ts wires it like the others. */
export function createConnectionTestPart(ctx: HubContext) {
  return { name: 'connection-test', routes: testConnectionRoutes(ctx) };
}
