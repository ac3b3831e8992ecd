import { z } from 'zod';
import { originSchema } from '../audit/entry.js';
import { entitySchema } from '../devices/model.js';
import { roleSchema } from '../members/model.js';
import { riskSchema } from '../config/sections/policy.js';

export const entityIdSchema = z
  .string()
  .min(3)
  .max(200)
  .regex(/^[a-z_]+\.[a-z0-9_]+$/, 'expected an entity id such as lock.front_door');
export const operationSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9_]+$/, 'expected an operation such as unlock');

/** What someone wants done: an operation on an entity (or on the hub itself: `hub.<name>`). */
export const actionSchema = z.object({
  entity_id: entityIdSchema,
  operation: operationSchema,
  params: z.record(z.string(), z.unknown()).default({}),
});
export type Action = z.infer<typeof actionSchema>;

/**
 * Who put the words into the request, when it was not the person themselves: `llm` when the
 * language model read the sentence (the person still asked, on their channel). Audited, kept
 * on the envelope, and open to policy.
 */
export const proposerSchema = z.enum(['llm']).describe('set when the language model proposed the request');
export type Proposer = z.infer<typeof proposerSchema>;

export const requestOriginSchema = z.object({
  member_id: z.string().nullable(),
  channel: originSchema,
  /** Who to name in the audit when there is no member (a workflow, an engineer); default the member id or `system`. */
  actor: z.string().max(200).optional(),
  /** `llm` when a language model read the request from text: the policy may forbid it or raise its risk. */
  proposer: proposerSchema.optional(),
  /** The web sign-in the request came through: a PIN confirmed on it covers hub changes for a few minutes. */
  session_id: z.string().max(200).optional(),
});

export const gateRequestSchema = z.object({
  action: z.object({ entity_id: z.string(), operation: z.string(), params: z.record(z.string(), z.unknown()).optional() }),
  origin: requestOriginSchema,
  reason: z.string().max(500).optional(),
});
export type GateRequest = z.input<typeof gateRequestSchema>;

/** The part of the policy an envelope is bound to (DESIGN). */
export const envelopePolicySchema = z.object({
  quorum: z.number().int(),
  approver_roles: z.array(roleSchema),
  exclude_requester: z.boolean(),
  step_up: z.boolean(),
});
export type EnvelopePolicy = z.infer<typeof envelopePolicySchema>;

export const envelopeStateSchema = z.enum(['pending', 'approved', 'executing', 'executed', 'failed', 'unconfirmed', 'denied', 'expired', 'cancelled']);
export type EnvelopeState = z.infer<typeof envelopeStateSchema>;
export const FINAL_STATES: readonly EnvelopeState[] = ['executed', 'failed', 'unconfirmed', 'denied', 'expired', 'cancelled'];

export const decisionValueSchema = z.enum(['approve', 'deny']);
export const decisionSchema = z.object({
  member_id: z.string(),
  decision: decisionValueSchema,
  channel: originSchema,
  at: z.string(),
});
export type Decision = z.infer<typeof decisionSchema>;

/** How an execution ended, with a stable code when it did not succeed. */
export const outcomeDetailSchema = z.object({
  code: z.string().optional(),
  message: z.string(),
  expected_state: z.string().nullable().optional(),
  observed_state: z.string().nullable().optional(),
});
export type OutcomeDetail = z.infer<typeof outcomeDetailSchema>;

/** The approval envelope, exactly as DESIGN names its fields, plus `outcome` once it has one. */
export const envelopeSchema = z.object({
  id: z.string(),
  action: actionSchema,
  origin: z.object({ member_id: z.string().nullable(), channel: originSchema, proposer: proposerSchema.optional() }),
  risk: riskSchema,
  reason: z.string().nullable(),
  policy: envelopePolicySchema,
  created_at: z.string(),
  expires_at: z.string(),
  nonce: z.string(),
  digest: z.string(),
  state: envelopeStateSchema,
  decisions: z.array(decisionSchema),
  outcome: outcomeDetailSchema.nullable().describe('how execution or closing ended; null while open'),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const gateOutcomeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.enum(['executed', 'unconfirmed', 'failed']),
    /** The envelope, or for an action that ran straight away the audit subject of its story. */
    action_id: z.string(),
    envelope_id: z.string().optional(),
    entity: entitySchema.nullable(),
    detail: outcomeDetailSchema,
  }),
  z.object({
    status: z.literal('pending'),
    approval_id: z.string(),
    envelope: envelopeSchema,
    self_confirm: z.boolean().optional().describe('the requester may approve this themselves with their PIN (a hub change, or a sole owner)'),
  }),
  z.object({ status: z.literal('refused'), code: z.string(), message: z.string() }),
]);
export type GateOutcome = z.infer<typeof gateOutcomeSchema>;
export type ExecutionOutcome = Extract<GateOutcome, { status: 'executed' | 'unconfirmed' | 'failed' }>;

export const decideInputSchema = z.object({
  member_id: z.string(),
  decision: decisionValueSchema,
  channel: originSchema,
  pin: z.string().max(16).optional(),
  /** Why, in the decider's words (a denial's reason, told to the requester and kept in the audit). */
  reason: z.string().max(200).optional(),
  /** The web sign-in the decision came through (see requestOriginSchema.session_id). */
  session_id: z.string().max(200).optional(),
});
export type DecideInput = z.infer<typeof decideInputSchema>;

export interface ListQuery {
  state?: EnvelopeState;
  limit?: number;
  /** Cursor: envelopes created before this one (its id). */
  before?: string;
}

/** An action on the hub itself (restart a service, re-sync a connector), run by the executor. */
export interface SystemAction {
  risk: z.infer<typeof riskSchema>;
  /** Resolves when done; a sentence it resolves with (what it observed afterwards) goes into the outcome. */
  run: (params: Record<string, unknown>) => Promise<void | string>;
  describe: (params: Record<string, unknown>) => string;
  /** One of the hub's own changes: its risk and approval rule come from policy.hub_changes. */
  change?: boolean;
}
