import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { notFound } from '../core/errors.js';
import { principalOf, requireRole, requireSignedIn } from '../core/guard.js';
import type { Principal } from '../members/model.js';
import { runViewSchema } from './store.js';
import type { WorkflowsService } from './service.js';
import { MAX_SOURCE_BYTES } from './parse.js';

const workflowViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  origin: z.enum(['api', 'file', 'pack']).describe('api: made here; file: from config/workflows; pack: built in'),
  mode: z.enum(['single', 'restart', 'queued', 'parallel']),
  source: z.string().describe('the YAML definition'),
  triggers: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  last_run: z
    .object({ id: z.string(), state: runViewSchema.shape.state, started_at: z.string(), finished_at: z.string().nullable(), error: z.string().nullable() })
    .nullable(),
  problem: z.string().nullable().describe('why it cannot run, in words'),
});
const sourceBody = z.strictObject({ source: z.string().min(1).max(MAX_SOURCE_BYTES).describe('the workflow in YAML (docs/workflows.md)') });
const idParams = z.object({ id: z.string().min(1).max(64) });
const TAGS = ['workflows'];

const who = (p: Principal) => ({ actor: p.member_id, origin: p.via === 'token' ? ('api' as const) : ('web' as const) });

/**
 * DESIGN's workflow routes. Everyone signed in may read; only the owner writes or runs (a
 * workflow acts with the hub's authority, so writing one is the owner's). Invalid YAML is
 * 400 WORKFLOW_INVALID with the line in the message and every problem in `details`.
 */
export function workflowRoutes(service: WorkflowsService): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const owner = requireRole('owner');
    r.get(
      '/workflows',
      {
        preHandler: requireSignedIn,
        schema: { tags: TAGS, summary: 'Every workflow with its last run', response: { 200: z.object({ workflows: z.array(workflowViewSchema) }) } },
      },
      async () => ({ workflows: service.list() }),
    );
    r.post(
      '/workflows',
      { preHandler: owner, schema: { tags: TAGS, summary: 'Add a workflow from YAML (switched on)', body: sourceBody, response: { 201: workflowViewSchema } } },
      async (req, reply) => reply.code(201).send(service.create(req.body.source, who(principalOf(req)))),
    );
    r.post(
      '/workflows/validate',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: TAGS,
          summary: 'Check YAML without saving it (the editor calls this as you type)',
          body: sourceBody,
          response: { 200: z.object({ ok: z.literal(true), name: z.string() }) },
        },
      },
      async (req) => ({ ok: true as const, name: service.validate(req.body.source) }),
    );
    r.get(
      '/workflows/:id',
      { preHandler: requireSignedIn, schema: { tags: TAGS, summary: 'One workflow', params: idParams, response: { 200: workflowViewSchema } } },
      async (req) => service.get(req.params.id),
    );
    r.put(
      '/workflows/:id',
      {
        preHandler: owner,
        schema: {
          tags: TAGS,
          summary: 'Replace its YAML (runs under way keep the version they started with)',
          params: idParams,
          body: sourceBody,
          response: { 200: workflowViewSchema },
        },
      },
      async (req) => service.replace(req.params.id, req.body.source, who(principalOf(req))),
    );
    r.patch(
      '/workflows/:id',
      {
        preHandler: owner,
        schema: {
          tags: TAGS,
          summary: 'Switch it on or off',
          params: idParams,
          body: z.strictObject({ enabled: z.boolean() }),
          response: { 200: workflowViewSchema },
        },
      },
      async (req) => service.setEnabled(req.params.id, req.body.enabled, who(principalOf(req))),
    );
    r.delete(
      '/workflows/:id',
      {
        preHandler: owner,
        schema: { tags: TAGS, summary: 'Delete it (open runs are cancelled; the audit keeps what they did)', params: idParams, response: { 204: z.null() } },
      },
      async (req, reply) => {
        service.delete(req.params.id, who(principalOf(req)));
        return reply.code(204).send(null);
      },
    );
    r.post(
      '/workflows/:id/run',
      {
        preHandler: owner,
        schema: {
          tags: TAGS,
          summary: 'Run it now (conditions are not checked); a dry run shows what would happen and acts on nothing',
          params: idParams,
          body: z.strictObject({ dry_run: z.boolean().default(false) }).prefault({}),
          response: { 202: z.object({ run_id: z.string() }) },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const run_id = await service.runNow(req.params.id, { dry_run: req.body.dry_run, by: p.member_id });
        return reply.code(202).send({ run_id });
      },
    );
    r.get(
      '/workflows/:id/runs',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: TAGS,
          summary: 'Its runs, newest first',
          params: idParams,
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
          response: { 200: z.object({ runs: z.array(runViewSchema) }) },
        },
      },
      async (req) => ({ runs: service.runs(req.params.id, req.query.limit) }),
    );
    r.get(
      '/workflow-runs/:id',
      { preHandler: requireSignedIn, schema: { tags: TAGS, summary: 'One run with its steps', params: idParams, response: { 200: runViewSchema } } },
      async (req) => {
        const run = service.run(req.params.id);
        if (!run) throw notFound('workflow run', req.params.id);
        return run;
      },
    );
  };
}
