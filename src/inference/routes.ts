import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf, requireRole } from '../core/guard.js';
import { intentSchema } from '../intents/schema.js';
import type { Entity } from '../devices/model.js';
import type { LlmIntentResolver } from './resolver.js';
import type { LlmChain } from './chain.js';
import type { LocalProvider } from './local.js';
import { MAX_MESSAGE_CHARS } from './resolver.js';

const providerStatus = z.object({ status: z.string(), detail: z.string() });
const statusSchema = z.object({
  order: z.array(z.enum(['local', 'remote'])),
  local: z.object({
    state: z.enum(['not_loaded', 'loading', 'ready', 'unloaded', 'failed']),
    model_path: z.string().nullable(),
    size_bytes: z.number().nullable(),
    error: z.string().nullable(),
  }),
  providers: z.record(z.string(), providerStatus),
});

export interface InferenceRouteDeps {
  chain: LlmChain;
  local: LocalProvider;
  resolver: LlmIntentResolver;
  order: () => ('local' | 'remote')[];
  entities: () => Entity[];
}

/** Owner only: the model's state, and a "try it" that shows the intent read from a sentence (nothing is done). */
export function inferenceRoutes(deps: InferenceRouteDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/inference',
      {
        preHandler: requireRole('owner'),
        schema: { tags: ['inference'], summary: 'The language model: file, state and providers in order', response: { 200: statusSchema } },
      },
      async () => ({ order: deps.order(), local: deps.local.status(), providers: deps.chain.health() }),
    );
    r.post(
      '/inference/try',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['inference'],
          summary: 'Read a sentence with the language model and show the intents (nothing is done)',
          body: z.strictObject({ text: z.string().min(1).max(MAX_MESSAGE_CHARS) }),
          response: { 200: z.object({ intents: z.array(intentSchema), confidence: z.number(), provider: z.string().nullable() }) },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const controller = new AbortController();
        reply.raw.once('close', () => {
          if (!reply.raw.writableFinished) controller.abort();
        });
        const out = await deps.resolver.resolve({
          text: req.body.text,
          member: { id: p.member_id, role: p.role },
          entities: deps.entities(),
          signal: controller.signal,
        });
        return { intents: out.intents, confidence: out.confidence, provider: out.provider ?? null };
      },
    );
  };
}
