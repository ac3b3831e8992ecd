import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../part/context.js';
import type { ComponentHealth } from '../core/lifecycle.js';
import { overallStatus } from '../core/lifecycle.js';

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down', 'starting']),
  version: z.string(),
  uptime_s: z.number(),
  components: z.record(z.string(), z.object({ status: z.string(), detail: z.string() })),
});
export type HealthReport = z.infer<typeof healthSchema>;

export function healthReport(ctx: HubContext, components: Record<string, ComponentHealth>): HealthReport {
  return {
    status: overallStatus(components),
    version: ctx.version,
    uptime_s: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
    components,
  };
}

/** /api/v1/health (no auth, for probes) and /metrics (Prometheus). */
export function systemRoutes(ctx: HubContext, components: () => Record<string, ComponentHealth>): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/health',
      { schema: { tags: ['system'], summary: 'Hub health; no sign-in needed', security: [], response: { 200: healthSchema, 503: healthSchema } } },
      async (_req, reply) => {
        const report = healthReport(ctx, components());
        return reply.status(report.status === 'down' || report.status === 'starting' ? 503 : 200).send(report);
      },
    );
    r.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      reply.type(ctx.metrics.contentType);
      return ctx.metrics.metrics();
    });
  };
}
