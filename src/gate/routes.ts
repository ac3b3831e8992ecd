import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Origin } from '../audit/entry.js';
import { principalOf, requireSignedIn } from '../core/guard.js';
import type { Principal } from '../members/model.js';
import { addRetryAfterHeader } from '../members/retry-after.js';
import type { ActionGate } from './gate.js';
import { redactEnvelope } from './redact.js';
import { entityIdSchema, envelopeSchema, envelopeStateSchema, gateOutcomeSchema, operationSchema, type Envelope } from './model.js';
import { gateError, refusalStatus } from './errors.js';
import { changeOrigin } from '../core/hub-changes.js';

const actionBody = z.strictObject({
  entity_id: entityIdSchema,
  operation: operationSchema,
  params: z.record(z.string(), z.unknown()).optional(),
  reason: z.string().max(500).optional(),
});
const decisionBody = z.strictObject({
  decision: z.enum(['approve', 'deny']),
  pin: z.string().max(16).optional(),
  reason: z.string().max(200).optional().describe("why (a denial's reason): told to the requester and kept in the audit"),
});
const idParams = z.strictObject({ id: z.string().min(1).max(100) });
const listQuery = z.strictObject({
  state: envelopeStateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().max(100).optional().describe('cursor: the id of the last envelope of the previous page'),
});
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
/** An envelope as its viewer sees it: `self_confirm` on the requester's own pending ones (they may approve it with their PIN). */
const viewSchema = envelopeSchema.extend({ self_confirm: z.boolean().optional() });
const pendingSchema = z.object({ status: z.literal('pending'), approval_id: z.string(), envelope: envelopeSchema, self_confirm: z.boolean().optional() });

/** The channel of an HTTP caller: a session cookie is the web UI, a bearer token the API. */
export const channelOf = (p: Principal): Origin => (p.via === 'token' ? 'api' : 'web');

/** Owners and adults see every envelope; others see what they asked for or may decide (also on the event stream). */
export function visibleEnvelope(p: Pick<Principal, 'role' | 'member_id'>, e: Envelope): boolean {
  return p.role === 'owner' || p.role === 'adult' || e.origin.member_id === p.member_id || e.policy.approver_roles.includes(p.role);
}

/** POST /actions and /approvals: the gate over HTTP. */
export function gateRoutes(gate: ActionGate): FastifyPluginAsync {
  return async (app) => {
    // A decision checks the approver's PIN: its PIN_LOCKED (429) says when to try again.
    addRetryAfterHeader(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    const view = (p: Principal, e: Envelope) =>
      e.state === 'pending' && e.origin.member_id === p.member_id ? { ...redactEnvelope(e), self_confirm: gate.selfConfirm(e) } : redactEnvelope(e);
    r.post(
      '/actions',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['actions'],
          summary: 'Ask for an action: 200 with its confirmed (or not) outcome, 202 pending approval, 4xx refused',
          body: actionBody,
          response: { 200: gateOutcomeSchema, 202: pendingSchema, 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const { reason, ...action } = req.body;
        const outcome = await gate.request({ action, origin: changeOrigin(p), reason });
        if (outcome.status === 'refused')
          return reply.status(refusalStatus(outcome.code) as 403).send({ error: { code: outcome.code, message: outcome.message } });
        if (outcome.status === 'pending') return reply.status(202).send({ ...outcome, envelope: redactEnvelope(outcome.envelope) });
        return reply.status(200).send(outcome);
      },
    );
    r.get(
      '/approvals',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['approvals'],
          summary: 'Approval envelopes, newest first',
          querystring: listQuery,
          response: {
            200: z.object({
              approvals: z.array(viewSchema),
              next_before: z.string().nullable().describe('`before` for the next, older page; null when there is none'),
            }),
          },
        },
      },
      async (req) => {
        const p = principalOf(req);
        // The cursor comes from the page as stored, before hiding what this member may not see:
        // a page can come back short (or empty) for a child and still not be the end.
        const page = gate.list(req.query);
        const next_before = page.length === req.query.limit ? page[page.length - 1]!.id : null;
        return { approvals: page.filter((e) => visibleEnvelope(p, e)).map((e) => view(p, e)), next_before };
      },
    );
    r.get(
      '/approvals/:id',
      {
        preHandler: requireSignedIn,
        schema: { tags: ['approvals'], summary: 'One envelope', params: idParams, response: { 200: viewSchema, 404: errorSchema } },
      },
      async (req) => {
        const p = principalOf(req);
        const e = gate.get(req.params.id);
        if (!e || !visibleEnvelope(p, e)) throw gateError('APPROVAL_NOT_FOUND', `no approval request ${req.params.id}`);
        return view(p, e);
      },
    );
    r.post(
      '/approvals/:id/decision',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['approvals'],
          summary: 'Approve or deny. The final approval answers once the action ran and its effect was confirmed (or not).',
          params: idParams,
          body: decisionBody,
          response: { 200: envelopeSchema, 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        const p = principalOf(req);
        return redactEnvelope(
          await gate.decide(req.params.id, {
            member_id: p.member_id,
            decision: req.body.decision,
            channel: channelOf(p),
            pin: req.body.pin,
            ...(req.body.reason ? { reason: req.body.reason } : {}),
            session_id: p.session_id,
          }),
        );
      },
    );
    r.post(
      '/approvals/:id/cancel',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['approvals'],
          summary: 'The requester withdraws a pending request',
          params: idParams,
          response: { 200: envelopeSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        const p = principalOf(req);
        return redactEnvelope(gate.cancel(req.params.id, p.member_id, channelOf(p)));
      },
    );
  };
}
