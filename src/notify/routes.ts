import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { forbidden, notFound } from '../core/errors.js';
import { principalOf, requireSignedIn } from '../core/guard.js';
import type { Principal } from '../members/model.js';
import { notificationViewSchema, preferencesSchema } from './model.js';
import type { NotificationRouter } from './router.js';

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.iso.datetime({ offset: true }).optional().describe('cursor: notifications created before this time'),
  member_id: z.string().max(64).optional().describe("owner only: one member's deliveries"),
});

/** Owners see every notification; others only those addressed to them, with their own deliveries. */
const canSeeAll = (p: Principal): boolean => p.role === 'owner';
const selfOrOwner = (p: Principal, memberId: string): void => {
  if (p.member_id !== memberId && p.role !== 'owner') throw forbidden('Only the owner or the member themselves may do that');
};

export function notifyRoutes(router: NotificationRouter): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/notifications',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['notifications'],
          summary: 'Notifications and their delivery status, newest first',
          querystring: listQuery,
          response: { 200: z.object({ notifications: z.array(notificationViewSchema) }) },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const member_id = canSeeAll(p) ? req.query.member_id : p.member_id;
        return { notifications: router.list({ member_id, limit: req.query.limit, before: req.query.before }) };
      },
    );
    r.get(
      '/notifications/:id',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['notifications'],
          summary: 'One notification',
          params: z.object({ id: z.string().max(64) }),
          response: { 200: notificationViewSchema },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const row = router.outbox.notification(req.params.id);
        if (!row) throw notFound('notification', req.params.id);
        const view = router.view(row, canSeeAll(p) ? undefined : p.member_id);
        if (!canSeeAll(p) && view.deliveries.length === 0) throw notFound('notification', req.params.id);
        return view;
      },
    );
    r.post(
      '/notifications/:id/ack',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['notifications'],
          summary: 'Take it: stops the escalation for everyone',
          params: z.object({ id: z.string().max(64) }),
          response: { 200: z.object({ acknowledged: z.boolean() }) },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const row = router.outbox.notification(req.params.id);
        if (!row) throw notFound('notification', req.params.id);
        if (!canSeeAll(p) && !router.outbox.deliveriesOf(row.id).some((d) => d.member_id === p.member_id)) throw notFound('notification', req.params.id);
        if (row.kind.startsWith('approval.request')) throw forbidden('An approval is taken by deciding it', 'DECIDE_INSTEAD');
        return { acknowledged: router.acknowledge({ id: row.id }, p.member_id, 'web') };
      },
    );
    r.post(
      '/notifications/:id/answer',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['notifications'],
          summary: "Answer a question (a workflow's ask) with one of its choices",
          params: z.object({ id: z.string().max(64) }),
          body: z.strictObject({ choice: z.number().int().min(0).max(5) }),
          response: { 200: z.object({ answered: z.boolean() }) },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const row = router.outbox.notification(req.params.id);
        if (!row || !router.outbox.deliveriesOf(row.id).some((d) => d.member_id === p.member_id)) throw notFound('notification', req.params.id);
        return { answered: router.answer(row.id, p.member_id, 'web', req.body.choice) };
      },
    );
    const prefsParams = z.object({ id: z.string().max(64) });
    r.get(
      '/members/:id/notification-preferences',
      {
        preHandler: requireSignedIn,
        schema: { tags: ['notifications'], summary: "A member's notification preferences", params: prefsParams, response: { 200: preferencesSchema } },
      },
      async (req) => {
        selfOrOwner(principalOf(req), req.params.id);
        return router.preferences.get(req.params.id);
      },
    );
    r.put(
      '/members/:id/notification-preferences',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['notifications'],
          summary: "Replace a member's notification preferences",
          params: prefsParams,
          body: preferencesSchema,
          response: { 200: preferencesSchema },
        },
      },
      async (req) => {
        const p = principalOf(req);
        selfOrOwner(p, req.params.id);
        const prefs = router.preferences.set(req.params.id, req.body);
        router.ctxAudit({ actor: p.member_id, origin: 'web', kind: 'notify.preferences.changed', subject: req.params.id, data: { ...prefs } });
        return prefs;
      },
    );
  };
}
