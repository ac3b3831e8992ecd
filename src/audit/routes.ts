import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AuditTrail } from './trail.js';
import { requireRole } from '../core/guard.js';
import { auditEntrySchema } from './entry.js';
import { csvHeader, csvLine } from './trail.js';

const querySchema = z.strictObject({
  actor: z.string().max(200).optional(),
  kind: z.string().max(200).optional().describe('exact kind, or a prefix such as auth.*'),
  subject: z.string().max(200).optional(),
  entity: z.string().max(255).optional().describe('entries about one entity: edits to it and the actions asked of it'),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().positive().optional().describe('cursor: entries with seq below this'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const verifySchema = z.object({
  ok: z.boolean(),
  count: z.number(),
  head: z.object({ seq: z.number(), hash: z.string() }).nullable().optional(),
  broken: z.object({ seq: z.number(), reason: z.string() }).optional(),
});

/** The trail, readable by owners and adults. */
export function auditRoutes(ctx: { audit: AuditTrail }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const guard = requireRole('owner', 'adult');
    r.get(
      '/audit',
      {
        preHandler: guard,
        schema: {
          tags: ['audit'],
          summary: 'Audit entries, newest first, with filters and a cursor',
          querystring: querySchema,
          response: { 200: z.object({ entries: z.array(auditEntrySchema), next_before: z.number().nullable() }) },
        },
      },
      async (req) => {
        const q = req.query;
        return ctx.audit.list({ ...q, since: q.since && new Date(q.since).toISOString(), until: q.until && new Date(q.until).toISOString() });
      },
    );
    r.get('/audit/verify', { preHandler: guard, schema: { tags: ['audit'], summary: 'Check the hash chain', response: { 200: verifySchema } } }, async () =>
      ctx.audit.verify(),
    );
    r.get('/audit/export.csv', { preHandler: guard, schema: { tags: ['audit'], summary: 'The whole trail as CSV' } }, async (_req, reply) => {
      reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="hearth-audit.csv"');
      return reply.send(streamOf(csvHeader(), ctx.audit.iterate(), csvLine));
    });
    r.get('/audit/export.jsonl', { preHandler: guard, schema: { tags: ['audit'], summary: 'The whole trail as JSON lines' } }, async (_req, reply) => {
      reply.type('application/x-ndjson').header('Content-Disposition', 'attachment; filename="hearth-audit.jsonl"');
      return reply.send(streamOf('', ctx.audit.iterate(), (e) => `${JSON.stringify(e)}\n`));
    });
  };
}

function streamOf<T>(head: string, rows: Iterator<T>, line: (row: T) => string): Readable {
  let started = false;
  return new Readable({
    read() {
      if (!started) {
        started = true;
        if (head) this.push(head);
      }
      for (let i = 0; i < 200; i++) {
        const next = rows.next();
        if (next.done) {
          this.push(null);
          return;
        }
        this.push(line(next.value));
      }
    },
  });
}
