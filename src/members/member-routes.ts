import type { FastifyPluginAsync, preHandlerHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { forbidden, notFound } from '../core/errors.js';
import type { HubContext } from '../part/context.js';
import { pendingChangeSchema, type HubChanges } from '../core/hub-changes.js';
import { principalOf, requireOwnerFor, requireRole, requireSignedIn } from '../core/guard.js';
import { hasScope, type Member, type Principal } from './model.js';
import { memberViewSchema, memberSummarySchema } from './model.js';
import { actorOf, type MembersService } from './service.js';
import { askToAdd, askToDelete, askToUpdate, MEMBERS_ENTITY } from './changes.js';
import {
  createMemberBodySchema,
  idParamsSchema,
  memberListSchema,
  membersQuerySchema,
  pairingCodeSchema,
  updateMemberBodySchema,
  updateSelfBodySchema,
} from './schemas.js';

const TAGS = ['members'];

/**
 * For bearer tokens on routes outside the guard's areas (`tokens`): the token needs `scope`.
 * Every other route's token scope is checked by requireRole (src/core/guard.ts) from its path.
 */
export function requireScope(scope: string): preHandlerHookHandler {
  return (request, _reply, done) => {
    const p = request.principal;
    if (p && !hasScope(p, scope)) return done(forbidden(`This token lacks the scope ${scope}`, 'SCOPE_REQUIRED'));
    done();
  };
}

/**
 * /api/v1/members. Only an owner manages people. Adults may list who is in the home (names
 * and roles); phone numbers and Telegram links are for the owner and the member alone.
 * Everyone may read and change their own record at /members/me.
 */
export function memberRoutes(ctx: HubContext, members: MembersService, changes: HubChanges): FastifyPluginAsync {
  const viewFor = (viewer: Principal, m: Member) => (viewer.role === 'owner' || viewer.member_id === m.id ? members.publicView(m) : members.summaryView(m));
  const owner = [requireRole('owner')];
  // Adding, changing and removing members are hub changes: through the gate, refusals audited.
  const changer = [requireOwnerFor(ctx.audit, MEMBERS_ENTITY)];

  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/members',
      {
        preHandler: requireRole('owner', 'adult'),
        schema: {
          tags: TAGS,
          summary: 'Members: full records for an owner, names and roles for adults',
          querystring: membersQuerySchema,
          response: { 200: memberListSchema },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const list = members.list({ role: req.query.role, include_disabled: p.role === 'owner' && req.query.include_disabled === 'true' });
        return { members: list.map((m) => viewFor(p, m)) };
      },
    );

    r.get(
      '/members/me',
      { preHandler: requireSignedIn, schema: { tags: TAGS, summary: 'Your own record', response: { 200: memberViewSchema } } },
      async (req) => members.publicView(requireMember(members, principalOf(req).member_id)),
    );

    r.patch(
      '/members/me',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: TAGS,
          summary: 'Change your own name, phone, password or PIN (password and PIN need current_password)',
          body: updateSelfBodySchema,
          response: { 200: memberViewSchema },
        },
      },
      async (req) => members.publicView(await members.updateSelf(principalOf(req), req.body)),
    );

    r.get(
      '/members/:id',
      {
        preHandler: requireSignedIn,
        schema: { tags: TAGS, summary: 'One member', params: idParamsSchema, response: { 200: z.union([memberViewSchema, memberSummarySchema]) } },
      },
      async (req) => {
        const p = principalOf(req);
        if (p.role !== 'owner' && p.role !== 'adult' && p.member_id !== req.params.id) throw forbidden('This needs the role owner or adult', 'ROLE_REQUIRED');
        return viewFor(p, requireMember(members, req.params.id));
      },
    );

    r.post(
      '/members',
      {
        preHandler: changer,
        schema: {
          tags: TAGS,
          summary:
            "Add a member (owner), through the action gate: 201 when added at once (the owner's PIN confirmed on this sign-in a few minutes ago), 202 with the approval id when it waits for the PIN or a second person",
          body: createMemberBodySchema,
          response: { 201: memberViewSchema, 202: pendingChangeSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const { id, pending } = await askToAdd(changes, members, p, actorOf(p), req.body);
        if (pending) return reply.status(202).send(pending);
        return reply.status(201).send(members.publicView(requireMember(members, id)));
      },
    );

    r.patch(
      '/members/:id',
      {
        preHandler: changer,
        schema: {
          tags: TAGS,
          summary:
            "Change a member (owner). Role, disabled, and another member's password or PIN go through the action gate (202 while waiting); the last active owner cannot be demoted or disabled",
          params: idParamsSchema,
          body: updateMemberBodySchema,
          response: { 200: memberViewSchema, 202: pendingChangeSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const out = await askToUpdate(changes, members, p, actorOf(p), requireMember(members, req.params.id), req.body);
        if (out.pending) return reply.status(202).send(out.pending);
        return members.publicView(out.member ?? requireMember(members, req.params.id));
      },
    );

    r.delete(
      '/members/:id',
      {
        preHandler: changer,
        schema: {
          tags: TAGS,
          summary: 'Remove a member and end their sessions and tokens (owner), through the action gate (202 while waiting); never the last owner',
          params: idParamsSchema,
          response: { 202: pendingChangeSchema, 204: z.null() },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const pending = await askToDelete(changes, members, p, actorOf(p), requireMember(members, req.params.id));
        if (pending) return reply.status(202).send(pending);
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/members/:id/pairing-code',
      {
        preHandler: owner,
        schema: {
          tags: TAGS,
          summary: "A one-time code (15 min) that links the member's Telegram account",
          params: idParamsSchema,
          response: { 201: pairingCodeSchema },
        },
      },
      async (req, reply) => reply.status(201).send(members.createPairingCode(req.params.id, actorOf(principalOf(req)))),
    );
  };
}

function requireMember(members: MembersService, id: string): Member {
  const m = members.get(id);
  if (!m) throw notFound('member', id);
  return m;
}
