import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf, requireSignedIn } from '../core/guard.js';
import { usageRowSchema, type UsageLedger } from './ledger.js';

const query = z.strictObject({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM')
    .optional()
    .describe("default: this month, in the home's time zone"),
  member_id: z.string().max(64).optional().describe('owner only: one member'),
});

const responseSchema = z.object({
  month: z.string(),
  timezone: z.string(),
  usage: z.array(usageRowSchema),
});

/** `GET /api/v1/usage?month=YYYY-MM`: the owner sees every member; others see their own. */
export function usageRoutes(ledger: UsageLedger, timezone: () => string): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/usage',
      {
        preHandler: requireSignedIn,
        schema: { tags: ['usage'], summary: 'Usage and caps per member and kind for a month', querystring: query, response: { 200: responseSchema } },
      },
      async (req) => {
        const p = principalOf(req);
        const month = req.query.month ?? ledger.month();
        const member = p.role === 'owner' ? req.query.member_id : p.member_id;
        return { month, timezone: timezone(), usage: ledger.list(month, member) };
      },
    );
  };
}
