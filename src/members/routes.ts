import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubContext } from '../part/context.js';
import type { HubChanges } from '../core/hub-changes.js';
import { forbidden, notFound, conflict } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { principalOf, requireSignedIn } from '../core/guard.js';
import { SESSION_COOKIE, type NewSession, type SessionStore } from './sessions.js';
import { MAX_TOKENS_PER_MEMBER, type TokenStore } from './tokens.js';
import type { LoginService } from './login.js';
import type { FirstRun } from './setup.js';
import { addRetryAfterHeader } from './retry-after.js';
import type { MembersService } from './service.js';
import { actorOf } from './service.js';
import { memberRoutes, requireScope } from './member-routes.js';
import {
  createTokenBodySchema,
  createdTokenSchema,
  idParamsSchema,
  loginBodySchema,
  meSchema,
  setupBodySchema,
  setupStateSchema,
  signedInSchema,
  tokenListSchema,
} from './schemas.js';

export interface MembersRouteDeps {
  ctx: HubContext;
  members: MembersService;
  sessions: SessionStore;
  tokens: TokenStore;
  login: LoginService;
  firstRun: FirstRun;
  changes: HubChanges;
}

/** 204 answers carry no body; the schema says so for the OpenAPI document. */
const noContent = z.null().describe('No content');

/** /api/v1/setup, /auth/*, /tokens, and the members routes. */
export function membersRoutes(deps: MembersRouteDeps): FastifyPluginAsync {
  const { ctx, members, sessions, tokens, login, firstRun } = deps;

  // Secure whenever the request came over TLS: the hub's own (http.tls_cert, applied at start)
  // or, with http.trust_proxy, a reverse proxy's. Keyed on the live connection rather than the
  // setting, so a cert configured but not yet restarted into cannot make cookies vanish.
  const secure = (req: FastifyRequest) => req.protocol === 'https';
  const setSessionCookie = (req: FastifyRequest, reply: FastifyReply, session: NewSession) => {
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: secure(req),
      maxAge: ctx.settings.get().http.session_ttl_hours * 3600,
    });
  };
  const client = (req: FastifyRequest) => ({ ip: req.ip, user_agent: req.headers['user-agent'] });

  return async (app) => {
    // Retry-After on every 429 these routes give (logins, setup, PINs, current passwords).
    addRetryAfterHeader(app);
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/setup',
      { schema: { tags: ['auth'], summary: 'Whether the first owner still has to be created', security: [], response: { 200: setupStateSchema } } },
      async () => ({
        needed: firstRun.needed(),
      }),
    );

    r.post(
      '/setup',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create the first owner with the one-time setup code; closed afterwards (409)',
          security: [],
          body: setupBodySchema,
          response: { 201: signedInSchema },
        },
      },
      async (req, reply) => {
        const { member, session } = await firstRun.complete(req.body, client(req));
        setSessionCookie(req, reply, session);
        return reply.status(201).send({ member: members.publicView(member), expires_at: session.expires_at });
      },
    );

    r.post(
      '/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in with a password; sets the hearth_session cookie',
          security: [],
          body: loginBodySchema,
          response: { 200: signedInSchema },
        },
      },
      async (req, reply) => {
        const { member, session } = await login.login({ ...req.body, ...client(req) });
        setSessionCookie(req, reply, session);
        if (!members.hasPin(member.id)) ctx.bus.emit('login.without_pin', { member_id: member.id, session_id: session.id });
        return { member: members.publicView(member), expires_at: session.expires_at };
      },
    );

    r.post('/auth/logout', { schema: { tags: ['auth'], summary: 'End this session', response: { 204: noContent } } }, async (req, reply) => {
      const p = req.principal;
      if (p?.via === 'session' && p.session_id) {
        ctx.audit.withEntry({ actor: p.member_id, origin: 'web', kind: 'auth.logout', subject: p.member_id, data: {} }, () => sessions.delete(p.session_id!));
        ctx.bus.emit('session.ended', { member_id: p.member_id, session_id: p.session_id });
      }
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: secure(req) });
      return reply.status(204).send(null);
    });

    r.post(
      '/auth/logout-everywhere',
      {
        preHandler: requireSignedIn,
        schema: { tags: ['auth'], summary: 'End every session of yours, on every device, this one included', response: { 204: noContent } },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const ids = sessions.idsFor(p.member_id);
        ctx.audit.withEntry({ actor: p.member_id, origin: 'web', kind: 'auth.logout_everywhere', subject: p.member_id, data: { sessions: ids.length } }, () =>
          sessions.deleteForMember(p.member_id),
        );
        for (const session_id of ids) ctx.bus.emit('session.ended', { member_id: p.member_id, session_id });
        reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: secure(req) });
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/auth/me',
      { preHandler: requireSignedIn, schema: { tags: ['auth'], summary: 'The signed-in member', response: { 200: meSchema } } },
      async (req) => {
        const p = principalOf(req);
        const member = members.get(p.member_id);
        if (!member) throw notFound('member', p.member_id);
        const { name, timezone } = ctx.settings.get().hub;
        const household = members.list().map((m) => ({ id: m.id, display_name: m.display_name }));
        return { member: members.publicView(member), via: p.via, ...(p.scopes ? { scopes: p.scopes } : {}), home: { name, timezone }, household };
      },
    );

    r.post(
      '/tokens',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['auth'],
          summary: 'Make an API token for yourself; the token is shown only in this answer',
          body: createTokenBodySchema,
          response: { 201: createdTokenSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        // A token cannot mint tokens: a leaked narrow token must not become a wide one.
        if (p.via !== 'session') throw forbidden('Make API tokens from a signed-in session', 'SESSION_REQUIRED');
        if (tokens.activeFor(p.member_id) >= MAX_TOKENS_PER_MEMBER)
          throw conflict('TOO_MANY_TOKENS', `A member may hold ${MAX_TOKENS_PER_MEMBER} active tokens; revoke some first`);
        const scopes = [...new Set(req.body.scopes ?? ['*'])];
        const id = newId('tok');
        const { result } = ctx.audit.withEntry(
          {
            actor: p.member_id,
            origin: 'web',
            kind: 'token.created',
            subject: id,
            data: { name: req.body.name, scopes, expires_in_days: req.body.expires_in_days ?? null },
          },
          () => tokens.create(p.member_id, req.body.name, scopes, req.body.expires_in_days, id),
        );
        return reply.status(201).send({ ...result.info, token: result.token });
      },
    );

    r.get(
      '/tokens',
      {
        preHandler: [requireSignedIn, requireScope('tokens')],
        schema: { tags: ['auth'], summary: "API tokens (yours; an owner sees everyone's); never the secrets", response: { 200: tokenListSchema } },
      },
      async (req) => {
        const p = principalOf(req);
        return { tokens: tokens.list(p.role === 'owner' ? undefined : p.member_id) };
      },
    );

    r.delete(
      '/tokens/:id',
      {
        preHandler: [requireSignedIn, requireScope('tokens')],
        schema: { tags: ['auth'], summary: 'Revoke an API token (yours, or any for an owner)', params: idParamsSchema, response: { 204: noContent } },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const token = tokens.get(req.params.id);
        // Someone else's token is "not found" to a non-owner: ids do not leak.
        if (!token || (token.member_id !== p.member_id && p.role !== 'owner')) throw notFound('token', req.params.id);
        if (!token.revoked_at) {
          ctx.audit.withEntry({ ...auditActor(p), kind: 'token.revoked', subject: token.id, data: { name: token.name, member_id: token.member_id } }, () =>
            tokens.revoke(token.id),
          );
          ctx.bus.emit('token.revoked', { member_id: token.member_id, token_id: token.id });
        }
        return reply.status(204).send(null);
      },
    );

    await app.register(memberRoutes(ctx, members, deps.changes));
  };
}

const auditActor = (p: Parameters<typeof actorOf>[0]) => {
  const a = actorOf(p);
  return { actor: a.id, origin: a.origin };
};
