import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../core/context.js';
import { changeOrigin, pendingChangeSchema, type HubChanges, type PendingChange } from '../core/hub-changes.js';
import { principalOf, requireOwnerFor, requireRole } from '../http/guard.js';
import type { PlainObject } from './merge.js';
import type { SettingsChange } from './service.js';

const changeSchema = z.object({ changed: z.array(z.string()), restart_required: z.array(z.string()) });
const docSchema = z.record(z.string(), z.unknown());
const pendingSchema = pendingChangeSchema.extend(changeSchema.shape).describe('the policy part waits for approval; `changed` lists what else was applied');

/** Changing the policy is a hub change (`hub.policy:change_policy`, high by default). */
export const POLICY_ENTITY = 'hub.policy';
const policyParams = z.object({ mode: z.enum(['merge', 'replace']), policy: docSchema.nullable(), by: z.string() });

/** What runs when a policy change is approved: merged into (or replacing) the owner's policy overrides. */
export function definePolicyChange(ctx: HubContext, changes: HubChanges): void {
  changes.define(POLICY_ENTITY, 'change_policy', {
    run: (raw) => {
      const p = policyParams.parse(raw);
      if (p.mode === 'merge') {
        ctx.settings.update({ policy: p.policy }, p.by);
        return;
      }
      const doc = ctx.settings.overridesDoc();
      if (p.policy === null) delete doc.policy;
      else doc.policy = p.policy;
      ctx.settings.replace(doc, p.by);
    },
  });
}

/** /api/v1/settings: read (secrets hidden), change, export and import the owner's run-time settings. */
export function settingsRoutes(ctx: HubContext, changes: HubChanges): FastifyPluginAsync {
  const changer = requireOwnerFor(ctx.audit, POLICY_ENTITY);
  /**
   * Applies a settings document whose policy part passes the gate: everything else at once, the
   * policy when approved (at once too when the owner confirmed with the PIN a few minutes ago).
   */
  const apply = async (req: FastifyRequest, doc: PlainObject, mode: 'merge' | 'replace'): Promise<{ change: SettingsChange; pending?: PendingChange }> => {
    const p = principalOf(req);
    const preview = ctx.settings.preview(doc, mode); // the whole document is checked before anything is applied
    const policyKeys = preview.changed.filter((k) => k === 'policy' || k.startsWith('policy.'));
    if (policyKeys.length === 0) return { change: mode === 'merge' ? ctx.settings.update(doc, p.member_id) : ctx.settings.replace(doc, p.member_id) };
    const { policy, ...rest } = doc;
    const others =
      mode === 'merge'
        ? Object.keys(rest).length > 0 ? ctx.settings.update(rest, p.member_id) : undefined
        : ctx.settings.replace(withPolicyOf(rest, ctx.settings.overridesDoc()), p.member_id);
    const shown = policyKeys.slice(0, 5).map((k) => k.replace(/^policy\./, '')).join(', ');
    const pending = await changes.ask({
      entity_id: POLICY_ENTITY,
      operation: 'change_policy',
      params: { mode, policy: (policy as PlainObject | undefined) ?? null, by: p.member_id, summary: `change the policy (${shown}${policyKeys.length > 5 ? ', …' : ''})` },
      origin: changeOrigin(p),
    });
    if (pending) return { change: others ?? { changed: [], restart_required: [], by: p.member_id }, pending };
    return { change: preview };
  };

  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get('/settings', { preHandler: requireRole('owner'), schema: { tags: ['settings'], summary: 'Effective settings, secrets hidden' } }, async () =>
      ctx.settings.redacted(),
    );
    r.patch(
      '/settings',
      {
        preHandler: changer,
        schema: {
          tags: ['settings'],
          summary: 'Change settings (partial document). A change to the policy passes the action gate: 202 with the approval id while it waits for the owner\'s PIN or a second person',
          body: docSchema,
          response: { 200: changeSchema, 202: pendingSchema },
        },
      },
      async (req, reply) => {
        const { change, pending } = await apply(req, req.body, 'merge');
        const body = { changed: change.changed, restart_required: change.restart_required };
        return pending ? reply.status(202).send({ ...pending, ...body }) : body;
      },
    );
    r.get('/settings/export', { preHandler: requireRole('owner'), schema: { tags: ['settings'], summary: 'The run-time settings as JSON, for import elsewhere' } }, async (req, reply) => {
      ctx.audit.append({ actor: principalOf(req).member_id, origin: 'web', kind: 'settings.exported', data: {} });
      reply.header('Content-Disposition', 'attachment; filename="hearth-settings.json"');
      return { settings_version: ctx.settings.get().settings_version, settings: ctx.settings.overridesDoc() };
    });
    r.post(
      '/settings/import',
      {
        preHandler: changer,
        schema: {
          tags: ['settings'],
          summary: 'Replace the run-time settings with an exported document; a different policy passes the action gate (202 while it waits)',
          body: z.strictObject({ settings_version: z.number().int(), settings: docSchema }),
          response: { 200: changeSchema, 202: pendingSchema },
        },
      },
      async (req, reply) => {
        const { change, pending } = await apply(req, req.body.settings, 'replace');
        const body = { changed: change.changed, restart_required: change.restart_required };
        return pending ? reply.status(202).send({ ...pending, ...body }) : body;
      },
    );
  };
}

/** `doc` with the policy overrides of `current` (the policy itself waits for the gate). */
function withPolicyOf(doc: PlainObject, current: PlainObject): PlainObject {
  return current.policy === undefined ? doc : { ...doc, policy: current.policy };
}
