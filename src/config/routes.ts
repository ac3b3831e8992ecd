import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { SettingsService } from './service.js';
import { principalOf, requireOwnerFor, requireRole } from '../core/guard.js';
import { changeOrigin, pendingChangeSchema, type HubChanges, type PendingChange } from '../core/hub-changes.js';
import type { PlainObject } from './merge.js';
import type { SettingsChange } from './service.js';
import { forbidden } from '../core/errors.js';
import { hasScope } from '../core/principal.js';
import { SETTINGS_MAGIC, seal, unseal } from '../core/sealed.js';
import { keepSavedSecrets, withoutSecrets } from './introspect.js';
import { configErrors } from './errors.js';

const changeSchema = z.object({ changed: z.array(z.string()), restart_required: z.array(z.string()) });
const docSchema = z.record(z.string(), z.unknown());
const passphraseSchema = z.string().min(10, 'at least 10 characters').max(1024);
const plainExportSchema = z.strictObject({ settings_version: z.number().int(), settings: docSchema });
const sealedExportSchema = z.strictObject({
  settings_version: z.number().int(),
  encrypted: z.string().max(4_000_000).describe('base64 of the HEARTHST format (AES-256-GCM, scrypt)'),
});
const pendingSchema = pendingChangeSchema.extend(changeSchema.shape).describe('the policy part waits for approval; `changed` lists what else was applied');

/** Changing the policy is a hub change (`hub.policy:change_policy`, high by default). */
export const POLICY_ENTITY = 'hub.policy';
const policyParams = z.object({ mode: z.enum(['merge', 'replace']), policy: docSchema.nullable(), by: z.string() });

/** What runs when a policy change is approved: merged into (or replacing) the owner's policy overrides. */
export function definePolicyChange(ctx: Pick<SettingsRoutesDeps, 'settings'>, changes: HubChanges): void {
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

const importSchema = z.union([plainExportSchema, z.strictObject({ encrypted: z.string().max(4_000_000), passphrase: passphraseSchema })]);

/** What the settings routes use of the hub's context: the settings, and the trail to note an export in. */
export interface SettingsRoutesDeps {
  settings: SettingsService;
  audit: { append(entry: { actor: string; origin: 'web' | 'api'; kind: string; subject?: string | null; data: Record<string, unknown> }): unknown };
}

/** /api/v1/settings: read (secrets hidden), change, export and import the owner's run-time settings. */
export function settingsRoutes(ctx: SettingsRoutesDeps, changes: HubChanges): FastifyPluginAsync {
  const changer = requireOwnerFor(ctx.audit, POLICY_ENTITY);
  /**
   * Applies a settings document whose policy part passes the gate: everything else at once, the
   * policy when approved (at once too when the owner confirmed with the PIN a few minutes ago).
   */
  const apply = async (
    req: FastifyRequest,
    doc: PlainObject,
    mode: 'merge' | 'replace',
  ): Promise<{ changed: string[]; restart_required: string[] } & Partial<PendingChange>> => {
    const p = principalOf(req);
    const preview = ctx.settings.preview(doc, mode); // the whole document is checked before anything is applied
    const policyKeys = preview.changed.filter((k) => k === 'policy' || k.startsWith('policy.'));
    if (policyKeys.length === 0) return answer(mode === 'merge' ? ctx.settings.update(doc, p.member_id) : ctx.settings.replace(doc, p.member_id));
    const { policy, ...rest } = doc;
    const others =
      mode === 'merge'
        ? Object.keys(rest).length > 0
          ? ctx.settings.update(rest, p.member_id)
          : undefined
        : ctx.settings.replace(withPolicyOf(rest, ctx.settings.overridesDoc()), p.member_id);
    const shown = policyKeys
      .slice(0, 5)
      .map((k) => k.replace(/^policy\./, ''))
      .join(', ');
    const pending = await changes.ask({
      entity_id: POLICY_ENTITY,
      operation: 'change_policy',
      params: {
        mode,
        policy: (policy as PlainObject | undefined) ?? null,
        by: p.member_id,
        summary: `change the policy (${shown}${policyKeys.length > 5 ? ', …' : ''})`,
      },
      origin: changeOrigin(p),
    });
    if (pending) return { ...pending, ...answer(others) };
    return answer(preview);
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
          summary:
            "Change settings (partial document). A change to the policy passes the action gate: 202 with the approval id while it waits for the owner's PIN or a second person",
          body: docSchema,
          response: { 200: changeSchema, 202: pendingSchema },
        },
      },
      async (req, reply) => {
        const out = await apply(req, req.body, 'merge');
        return out.status === 'pending' ? reply.status(202).send(out as z.infer<typeof pendingSchema>) : out;
      },
    );
    // Exports are the owner's, and need settings:write from a token: importing one changes everything.
    const exporter = (req: Parameters<typeof principalOf>[0]) => {
      const p = principalOf(req);
      if (!hasScope(p, 'settings') && !hasScope(p, 'settings:write')) throw forbidden('Exporting settings needs the scope settings:write', 'SCOPE_REQUIRED');
      return p;
    };
    r.get(
      '/settings/export',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary: 'The run-time settings as JSON, secrets replaced by [secret] (an import keeps the saved ones)',
          response: { 200: plainExportSchema },
        },
      },
      async (req, reply) => {
        const p = exporter(req);
        ctx.audit.append({ actor: p.member_id, origin: 'web', kind: 'settings.exported', data: { secrets: false } });
        reply.header('Content-Disposition', 'attachment; filename="hearth-settings.json"');
        return { settings_version: ctx.settings.get().settings_version, settings: withoutSecrets(ctx.settings.overridesDoc()) };
      },
    );
    r.post(
      '/settings/export',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary: 'The run-time settings with their secrets, encrypted with your passphrase (signed-in owner only, not a token)',
          body: z.strictObject({ passphrase: passphraseSchema }),
          response: { 200: sealedExportSchema },
        },
      },
      async (req, reply) => {
        const p = exporter(req);
        if (p.via !== 'session') throw forbidden('Exporting secrets needs the owner signed in, not an API token', 'SESSION_REQUIRED');
        const settings_version = ctx.settings.get().settings_version;
        const sealed = await seal(
          Buffer.from(JSON.stringify({ settings_version, settings: ctx.settings.overridesDoc() })),
          req.body.passphrase,
          SETTINGS_MAGIC,
        );
        ctx.audit.append({ actor: p.member_id, origin: 'web', kind: 'settings.exported', data: { secrets: true } });
        reply.header('Content-Disposition', 'attachment; filename="hearth-settings.sealed.json"');
        return { settings_version, encrypted: sealed.toString('base64') };
      },
    );
    r.post(
      '/settings/import',
      {
        preHandler: changer,
        schema: {
          tags: ['settings'],
          summary:
            'Replace the run-time settings with an export: plain (`[secret]` keeps the saved secret) or encrypted with its passphrase. A different policy passes the action gate (202 while it waits)',
          body: importSchema,
          response: { 200: changeSchema, 202: pendingSchema },
        },
      },
      async (req, reply) => {
        let doc: Record<string, unknown>;
        if ('encrypted' in req.body) {
          const plain = await unseal(Buffer.from(req.body.encrypted, 'base64'), req.body.passphrase, SETTINGS_MAGIC, 'the settings export');
          const parsed = plainExportSchema.safeParse(parseJson(plain.toString('utf8')));
          if (!parsed.success) throw configErrors.error('INVALID_SETTINGS', 'the encrypted export does not hold a settings document');
          doc = parsed.data.settings;
        } else doc = keepSavedSecrets(req.body.settings, ctx.settings.overridesDoc());
        const out = await apply(req, doc, 'replace');
        return out.status === 'pending' ? reply.status(202).send(out as z.infer<typeof pendingSchema>) : out;
      },
    );
  };
}

const answer = (change: SettingsChange | undefined) => ({ changed: change?.changed ?? [], restart_required: change?.restart_required ?? [] });

/** `doc` with the policy overrides of `current` (the policy itself waits for the gate). */
function withPolicyOf(doc: PlainObject, current: PlainObject): PlainObject {
  return current.policy === undefined ? doc : { ...doc, policy: current.policy };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
