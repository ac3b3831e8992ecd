import type { Statement } from 'better-sqlite3';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../part/context.js';
import { isoTime } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { HearthError, notFound } from '../core/errors.js';
import { principalOf, requireOwnerFor, requireRole } from '../core/guard.js';
import { changeOrigin, pendingChangeSchema, type HubChanges } from '../core/hub-changes.js';
import type { SupportAnnouncement } from './messages.js';
import { linkErrors } from './errors.js';

export const supportScopeSchema = z.enum(['diagnostics', 'maintenance']);
export type SupportScope = z.infer<typeof supportScopeSchema>;

export const grantSchema = z.object({
  id: z.string(),
  scope: supportScopeSchema,
  engineer: z.string().nullable().describe('when set, only this relay account may use the grant'),
  note: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  revoked_at: z.string().nullable(),
  state: z.enum(['live', 'expired', 'revoked']),
});
export type Grant = z.infer<typeof grantSchema>;

const createSchema = z.strictObject({
  scope: supportScopeSchema,
  duration_minutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  engineer: z.string().min(1).max(64).optional(),
  note: z.string().max(500).optional(),
});

type Row = {
  id: string;
  scope: SupportScope;
  engineer: string | null;
  note: string | null;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
};

/** Which methods a scope opens: maintenance includes diagnostics. */
const SCOPE_OPENS: Record<SupportScope, SupportScope[]> = { diagnostics: ['diagnostics'], maintenance: ['diagnostics', 'maintenance'] };

/**
 * Support grants: the owner opens a window for a support engineer; the hub checks it on every
 * request from the relay (the relay's own view is only advisory), with the hub's clock.
 */
export class SupportGrants {
  private readonly insert: Statement;
  private readonly byId: Statement;
  private readonly recent: Statement;
  private readonly liveRows: Statement;
  private readonly setRevoked: Statement;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly ctx: HubContext) {
    const db = ctx.store.db;
    this.insert = db.prepare('INSERT INTO support_grants (id, scope, engineer, note, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.byId = db.prepare('SELECT * FROM support_grants WHERE id = ?');
    this.recent = db.prepare('SELECT * FROM support_grants ORDER BY created_at DESC, id DESC LIMIT 100');
    this.liveRows = db.prepare('SELECT * FROM support_grants WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at');
    this.setRevoked = db.prepare('UPDATE support_grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL');
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  create(input: z.infer<typeof createSchema>, by: string, id = newId('sup')): Grant {
    const now = this.ctx.clock.now();
    const expires = now + input.duration_minutes * 60_000;
    this.ctx.audit.withEntry(
      {
        actor: by,
        origin: 'web',
        kind: 'support.grant.created',
        subject: id,
        data: { scope: input.scope, duration_minutes: input.duration_minutes, engineer: input.engineer ?? null, expires_at: isoTime(expires) },
      },
      () => this.insert.run(id, input.scope, input.engineer ?? null, input.note ?? null, by, now, expires),
    );
    this.changed();
    return this.get(id)!;
  }

  revoke(id: string, by: string): Grant {
    const row = this.byId.get(id) as Row | undefined;
    if (!row) throw notFound('support session', id);
    if (row.revoked_at === null) {
      this.ctx.audit.withEntry({ actor: by, origin: 'web', kind: 'support.grant.revoked', subject: id, data: { scope: row.scope } }, () =>
        this.setRevoked.run(this.ctx.clock.now(), by, id),
      );
      this.changed();
    }
    return this.get(id)!;
  }

  get(id: string): Grant | undefined {
    const row = this.byId.get(id) as Row | undefined;
    return row ? this.toGrant(row) : undefined;
  }

  list(): Grant[] {
    return (this.recent.all() as Row[]).map((r) => this.toGrant(r));
  }

  /** The hub's decision for one engineer request. */
  check(grantId: string | undefined, engineerId: string | undefined, need: SupportScope): { ok: true; grant: Grant } | { ok: false; reason: string } {
    if (!engineerId) return { ok: false, reason: 'no engineer identity in the request' };
    if (!grantId) return { ok: false, reason: 'no grant id in the request' };
    const row = this.byId.get(grantId) as Row | undefined;
    if (!row) return { ok: false, reason: 'no such grant' };
    if (row.revoked_at !== null) return { ok: false, reason: 'the grant was revoked' };
    if (row.expires_at <= this.ctx.clock.now()) return { ok: false, reason: 'the grant has expired' };
    if (row.engineer && row.engineer !== engineerId) return { ok: false, reason: 'the grant is for another engineer' };
    if (!SCOPE_OPENS[row.scope].includes(need)) return { ok: false, reason: `the grant's scope ${row.scope} does not allow ${need}` };
    return { ok: true, grant: this.toGrant(row) };
  }

  announcement(hubId: string): SupportAnnouncement {
    const rows = this.liveRows.all(this.ctx.clock.now()) as Row[];
    return { hub_id: hubId, at: this.ctx.clock.now(), grants: rows.map((r) => ({ id: r.id, scope: r.scope, engineer: r.engineer, expires_at: r.expires_at })) };
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private toGrant(r: Row): Grant {
    const state = r.revoked_at !== null ? 'revoked' : r.expires_at <= this.ctx.clock.now() ? 'expired' : 'live';
    return {
      id: r.id,
      scope: r.scope,
      engineer: r.engineer,
      note: r.note,
      created_by: r.created_by,
      created_at: isoTime(r.created_at),
      expires_at: isoTime(r.expires_at),
      revoked_at: r.revoked_at === null ? null : isoTime(r.revoked_at),
      state,
    };
  }
}

/** Granting and revoking support sessions are hub changes (`hub.support_sessions`). */
export const SUPPORT_SESSIONS_ENTITY = 'hub.support_sessions';
const grantParams = z.object({ grant_id: z.string(), grant: createSchema, by: z.string() });
const revokeParams = z.object({ grant_id: z.string(), by: z.string() });

/** What runs when a grant or a revocation is approved. */
export function defineSupportChanges(grants: SupportGrants, changes: HubChanges): void {
  const grant = (raw: Record<string, unknown>) => {
    const p = grantParams.parse(raw);
    grants.create(p.grant, p.by, p.grant_id);
  };
  changes.define(SUPPORT_SESSIONS_ENTITY, 'grant_diagnostics', { run: grant });
  changes.define(SUPPORT_SESSIONS_ENTITY, 'grant_maintenance', { run: grant });
  changes.define(SUPPORT_SESSIONS_ENTITY, 'revoke_support', {
    run: (raw) => {
      const p = revokeParams.parse(raw);
      grants.revoke(p.grant_id, p.by);
    },
  });
}

/** /api/v1/support/sessions: the owner grants, lists and revokes support sessions (through the action gate). */
export function supportRoutes(ctx: HubContext, grants: SupportGrants, changes: HubChanges): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const owner = requireRole('owner');
    const changer = requireOwnerFor(ctx.audit, SUPPORT_SESSIONS_ENTITY);
    r.post(
      '/support/sessions',
      {
        preHandler: changer,
        schema: {
          tags: ['support'],
          summary: 'Grant a support session, through the action gate: 201 at once, 202 with the approval id while it waits',
          body: createSchema,
          response: { 201: grantSchema, 202: pendingChangeSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const id = newId('sup');
        const who = req.body.engineer ? `support engineer ${req.body.engineer}` : 'a support engineer';
        const summary = `let ${who} ${req.body.scope === 'maintenance' ? 'run maintenance on' : 'read diagnostics of'} the hub for ${minutesWords(req.body.duration_minutes)}`;
        const pending = await changes.ask({
          entity_id: SUPPORT_SESSIONS_ENTITY,
          operation: `grant_${req.body.scope}`,
          params: { grant_id: id, grant: req.body, by: p.member_id, summary },
          origin: changeOrigin(p),
        });
        if (pending) return reply.status(202).send(pending);
        return reply.status(201).send(grants.get(id)!);
      },
    );
    r.get(
      '/support/sessions',
      {
        preHandler: owner,
        schema: { tags: ['support'], summary: 'Support sessions, newest first', response: { 200: z.object({ sessions: z.array(grantSchema) }) } },
      },
      async () => ({
        sessions: grants.list(),
      }),
    );
    r.delete(
      '/support/sessions/:id',
      {
        preHandler: changer,
        schema: {
          tags: ['support'],
          summary: 'Revoke a support session now (a low-risk hub change: at once for an owner by default)',
          params: z.object({ id: z.string().max(100) }),
          response: { 200: grantSchema, 202: pendingChangeSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const grant = grants.get(req.params.id);
        if (!grant) throw notFound('support session', req.params.id);
        if (grant.revoked_at !== null) return grant;
        const pending = await changes.ask({
          entity_id: SUPPORT_SESSIONS_ENTITY,
          operation: 'revoke_support',
          params: { grant_id: grant.id, by: p.member_id, summary: `end the ${grant.scope} support session ${grant.id}` },
          origin: changeOrigin(p),
        });
        if (pending) return reply.status(202).send(pending);
        return grants.get(grant.id)!;
      },
    );
  };
}

const minutesWords = (m: number): string => (m % 60 === 0 ? `${m / 60} hour${m === 60 ? '' : 's'}` : `${m} minute${m === 1 ? '' : 's'}`);

export const supportRefused = (reason: string): HearthError => linkErrors.error('SUPPORT_REFUSED', reason);
