import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireRole } from '../core/guard.js';
import { riskSchema, policySection } from '../config/sections/policy.js';
import { PRESET_NAMES, policyPreset } from '../config/sections/policy-presets.js';
import { roleSchema } from '../members/model.js';
import { localMinutes } from './policy.js';
import { DOMAIN_NAMES, operationsFor } from '../devices/domains/index.js';
import { gateError } from './errors.js';
import { entityIdSchema, operationSchema } from './model.js';
import type { ActionGate } from './gate.js';

export const policyPreviewBodySchema = z.strictObject({
  member_id: z.string().min(1).max(100).describe('who asks'),
  entity_id: entityIdSchema,
  operation: operationSchema,
  time: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time such as 23:00')
    .optional()
    .describe("the time of day, in the home's time zone; now when absent"),
  policy: policySection.optional().describe('a draft policy to try (the policy form before it is saved); the saved one when absent'),
});

export const policyPreviewSchema = z.object({
  outcome: z.enum(['direct', 'approval', 'refused']).describe('runs at once, waits for approval, or is refused'),
  risk: riskSchema.nullable(),
  role: roleSchema,
  code: z.string().optional().describe("the refusal's code"),
  message: z.string().optional().describe('why it is refused'),
  quorum: z.number().int().optional(),
  approver_roles: z.array(roleSchema).optional(),
  exclude_requester: z.boolean().optional(),
  approvers: z.number().int().optional().describe('how many members could approve it'),
  self_confirm: z.boolean().optional().describe('the asker is the only possible approver and confirms with their PIN'),
  at: z.string().describe('the moment evaluated (ISO 8601)'),
});
const presetSchema = policySection.pick({ roles: true, approvals: true, windows: true });
type PolicyPresetBody = z.infer<typeof presetSchema>;
export const policyFormSchema = z.object({
  presets: z.record(z.enum(PRESET_NAMES), presetSchema),
  operations: z.record(z.string(), z.array(z.string())).describe('the operations of each domain (lock: lock, unlock, open)'),
});
export type PolicyForm = z.infer<typeof policyFormSchema>;
export type PolicyPreviewBody = z.infer<typeof policyPreviewBodySchema>;
export type PolicyPreview = z.infer<typeof policyPreviewSchema>;

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });

/** The next moment (from `now`) whose local time in `timezone` is `hh:mm`. */
export function nextLocalTime(now: number, timezone: string, hhmm: string): number {
  const want = Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const startOfMinute = now - (now % 60_000);
  const delta = (want - localMinutes(startOfMinute, timezone) + 1440) % 1440;
  return startOfMinute + delta * 60_000;
}

/**
 * POST /api/v1/policy/preview (owner only): what the policy — saved, or the draft being edited —
 * would answer if a member asked for an action at a time of day. Nothing runs and nothing is
 * recorded: the gate's own evaluation, without the request.
 */
export function policyPreviewRoutes(
  gate: ActionGate,
  ctx: { now: () => number; timezone: () => string; role: (id: string) => string | undefined },
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/policy/preview',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary: 'What the policy would answer for a member, an action and a time of day, without acting (owner only)',
          body: policyPreviewBodySchema,
          response: { 200: policyPreviewSchema, 400: errorSchema, 403: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const { member_id, entity_id, operation, time, policy } = req.body;
        const at = time ? nextLocalTime(ctx.now(), ctx.timezone(), time) : ctx.now();
        const answer = gate.preview(member_id, { entity_id, operation, params: {} }, at, policy);
        if ('code' in answer) throw gateError(answer.code, answer.message);
        const role = (ctx.role(member_id) ?? 'guest') as PolicyPreview['role'];
        const { verdict } = answer;
        const base = { role, at: new Date(at).toISOString() };
        if (verdict.kind === 'refused')
          return { ...base, outcome: 'refused' as const, risk: verdict.risk ?? null, code: verdict.code, message: verdict.message };
        if (verdict.kind === 'direct') return { ...base, outcome: 'direct' as const, risk: verdict.risk };
        return {
          ...base,
          outcome: 'approval' as const,
          risk: verdict.risk,
          quorum: verdict.policy.quorum,
          approver_roles: verdict.policy.approver_roles,
          exclude_requester: verdict.policy.exclude_requester,
          approvers: answer.approvers,
          self_confirm: answer.self_confirm,
        };
      },
    );
    r.get(
      '/policy/form',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary:
            "What the policy form offers (owner only): its presets (relaxed, balanced, strict: roles, approvals and time windows to start from) and each domain's operations, for pickers instead of patterns",
          response: { 200: policyFormSchema },
        },
      },
      async () => ({
        presets: Object.fromEntries(PRESET_NAMES.map((n) => [n, policyPreset(n)])) as Record<(typeof PRESET_NAMES)[number], PolicyPresetBody>,
        operations: Object.fromEntries(DOMAIN_NAMES.map((d) => [d, operationsFor(d)]).filter(([, ops]) => (ops?.length ?? 0) > 0)),
      }),
    );
  };
}
