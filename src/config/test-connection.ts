import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireRole } from '../core/guard.js';
import type { SettingsCheck } from './checks.js';
import { settingsSchema, type SectionName } from './schema.js';
import type { SettingsService } from './service.js';
import { configErrors } from './errors.js';

/** A settings section whose part declared a connection check (`homeassistant`, `telegram`, `twilio`, `link`…). */
export type ConnectionKind = SectionName;

function bodySchema(kinds: z.ZodEnum) {
  return z.strictObject({
    kind: kinds,
    /** The values to try, as in that settings section; missing or `[secret]` fields use the saved ones. */
    values: z.record(z.string(), z.string()).default({}),
  });
}
export const testConnectionResultSchema = z.object({
  kind: z.string(),
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
export function testConnectionRoutes(ctx: { settings: SettingsService }, checks: readonly SettingsCheck[]): FastifyPluginAsync {
  const connections = checks.filter((c) => c.connection);
  const kinds = z.enum(connections.map((c) => c.section) as [SectionName, ...SectionName[]]);
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/settings/test-connection',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary: `Try a connection (${kinds.options.join(', ')}) without saving it`,
          body: bodySchema(kinds),
          response: { 200: testConnectionResultSchema },
        },
      },
      async (req) => {
        const { kind, values } = req.body as { kind: SectionName; values: Record<string, string> };
        const saved = ctx.settings.get()[kind] as Record<string, unknown>;
        const merged: Record<string, unknown> = { ...saved };
        for (const [k, v] of Object.entries(values)) {
          if (v === '[secret]') continue;
          if (v === '') delete merged[k];
          else merged[k] = v;
        }
        const parsed = settingsSchema.shape[kind].safeParse(merged);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw configErrors.error('INVALID_SETTINGS', `${kind}.${issue.path.join('.')}: ${issue.message}`);
        }
        const check = connections.find((c) => c.section === kind)!;
        const mine = await check.run({ ...ctx.settings.get(), [kind]: parsed.data }, TIMEOUT_MS);
        if (mine.status === 'skip') return { kind, status: 'fail' as const, detail: `nothing to test: fill in the ${kind} fields first` };
        return { kind, status: mine.status, detail: mine.detail };
      },
    );
  };
}

/** As a part (`connectionTestPart` in hub/base-parts.ts), over the checks of every part. */
export function createConnectionTestPart(ctx: { settings: SettingsService }, checks: readonly SettingsCheck[]) {
  return { name: 'connection-test', routes: testConnectionRoutes(ctx, checks) };
}
