import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../part/context.js';
import { notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { principalOf, requireRole } from '../core/guard.js';
import type { MemberDirectory } from '../notify/model.js';
import type { CheckinEngine } from './engine.js';
import { attemptViewSchema, checkinBodySchema, checkinPatchSchema, checkinViewSchema, type CheckinBody } from './model.js';
import { checkinView } from './store.js';
import { checkinsErrors } from './errors.js';
import { toE164 } from '../members/model.js';

const TAGS = ['checkins'];
const idParams = z.object({ id: z.string().max(64) });
const guard = requireRole('owner', 'adult');

/** /api/v1/checkins: owners and adults set up and read an elder's check-ins. */
export function checkinRoutes(ctx: HubContext, engine: CheckinEngine, members: MemberDirectory): FastifyPluginAsync {
  /** The phone as typed, in E.164 with the home's country (hub.country). */
  const withPhone = <T extends { phone?: string | null }>(b: T): T =>
    b.phone ? { ...b, phone: toE164(b.phone, ctx.settings.get().hub.country ?? undefined) } : b;
  const validate = (b: CheckinBody): void => {
    const elder = members.get(b.member_id);
    if (!elder) throw checkinsErrors.error('VALIDATION_FAILED', `There is no member ${b.member_id} in this home.`, undefined, 'member_id');
    const missing = b.escalate_to.find((id) => !members.get(id));
    if (missing)
      throw checkinsErrors.error('VALIDATION_FAILED', `There is no member ${missing} in this home to call when nobody answers.`, undefined, 'escalate_to');
    if (!b.phone && !elder.phone) throw checkinsErrors.error('NO_PHONE', `${elder.display_name} has no phone number: give one here or on the member`);
  };
  const find = (id: string) =>
    engine.store.get(id) ??
    (() => {
      throw notFound('check-in', id);
    })();
  const audit = (req: Parameters<typeof principalOf>[0], kind: string, subject: string, data: Record<string, unknown>) =>
    ctx.audit.append({ actor: principalOf(req).member_id, origin: 'api', kind, subject, data });

  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/checkins',
      {
        preHandler: guard,
        schema: {
          tags: TAGS,
          summary: "Elders' check-ins",
          querystring: z.object({ member_id: z.string().max(64).optional() }),
          response: { 200: z.object({ checkins: z.array(checkinViewSchema) }) },
        },
      },
      async (req) => ({
        checkins: engine.store.list(req.query.member_id).map(checkinView),
      }),
    );
    r.post(
      '/checkins',
      {
        preHandler: guard,
        schema: { tags: TAGS, summary: 'Schedule check-in calls for an elder', body: checkinBodySchema, response: { 201: checkinViewSchema } },
      },
      async (req, reply) => {
        const body = withPhone(req.body);
        validate(body);
        const id = newId('chk');
        const now = ctx.clock.now();
        engine.store.insert(id, body, engine.nextDueOf(body, now), now);
        audit(req, 'checkin.created', id, { member_id: req.body.member_id, times: req.body.times });
        return reply.status(201).send(checkinView(engine.store.get(id)!));
      },
    );
    r.get(
      '/checkins/:id',
      { preHandler: guard, schema: { tags: TAGS, summary: 'One check-in', params: idParams, response: { 200: checkinViewSchema } } },
      async (req) => checkinView(find(req.params.id)),
    );
    r.patch(
      '/checkins/:id',
      {
        preHandler: guard,
        schema: {
          tags: TAGS,
          summary: 'Change a check-in (times, days, escalation order, retries)',
          params: idParams,
          body: checkinPatchSchema,
          response: { 200: checkinViewSchema },
        },
      },
      async (req) => {
        const { id: _id, next_due_at: _n, created_at: _c, ...current } = find(req.params.id);
        const patch = Object.fromEntries(
          Object.entries(withPhone(req.body))
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, v === null ? undefined : v]),
        );
        const next = checkinBodySchema.parse({ ...current, ...patch });
        validate(next);
        const now = ctx.clock.now();
        engine.store.update(req.params.id, next, engine.nextDueOf(next, now), now);
        audit(req, 'checkin.changed', req.params.id, { fields: Object.keys(req.body) });
        return checkinView(engine.store.get(req.params.id)!);
      },
    );
    r.delete('/checkins/:id', { preHandler: guard, schema: { tags: TAGS, summary: 'Stop a check-in', params: idParams } }, async (req, reply) => {
      if (!engine.store.remove(req.params.id)) throw notFound('check-in', req.params.id);
      audit(req, 'checkin.deleted', req.params.id, {});
      return reply.status(204).send();
    });
    r.post(
      '/checkins/:id/call',
      { preHandler: guard, schema: { tags: TAGS, summary: 'Call the elder now', params: idParams, response: { 202: z.object({ attempt_id: z.string() }) } } },
      async (req, reply) => {
        find(req.params.id);
        const attempt_id = engine.callNow(req.params.id);
        audit(req, 'checkin.call_now', req.params.id, { attempt: attempt_id });
        return reply.status(202).send({ attempt_id });
      },
    );
    r.get(
      '/checkins/:id/attempts',
      {
        preHandler: guard,
        schema: {
          tags: TAGS,
          summary: 'Attempts with their calls, what was said, the outcome and the escalation',
          params: idParams,
          response: { 200: z.array(attemptViewSchema) },
        },
      },
      async (req) => {
        find(req.params.id);
        return engine.attempts(req.params.id);
      },
    );
  };
}
