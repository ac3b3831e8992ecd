import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { SettingsService } from './service.js';
import { principalOf, requireRole } from '../core/guard.js';
import { forbidden, HearthError } from '../core/errors.js';
import { hasScope } from '../core/principal.js';
import { SETTINGS_MAGIC, seal, unseal } from '../core/sealed.js';
import { keepSavedSecrets, withoutSecrets } from './introspect.js';

const changeSchema = z.object({ changed: z.array(z.string()), restart_required: z.array(z.string()) });
const docSchema = z.record(z.string(), z.unknown());
const passphraseSchema = z.string().min(10, 'at least 10 characters').max(1024);
const plainExportSchema = z.strictObject({ settings_version: z.number().int(), settings: docSchema });
const sealedExportSchema = z.strictObject({ settings_version: z.number().int(), encrypted: z.string().max(4_000_000).describe('base64 of the HEARTHST format (AES-256-GCM, scrypt)') });
const importSchema = z.union([plainExportSchema, z.strictObject({ encrypted: z.string().max(4_000_000), passphrase: passphraseSchema })]);

/** What the settings routes use of the hub's context: the settings, and the trail to note an export in. */
export interface SettingsRoutesDeps {
  settings: SettingsService;
  audit: { append(entry: { actor: string; origin: 'web'; kind: string; data: Record<string, unknown> }): unknown };
}

/** /api/v1/settings: read (secrets hidden), change, export and import the owner's run-time settings. */
export function settingsRoutes(ctx: SettingsRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get('/settings', { preHandler: requireRole('owner'), schema: { tags: ['settings'], summary: 'Effective settings, secrets hidden' } }, async () =>
      ctx.settings.redacted(),
    );
    r.patch(
      '/settings',
      { preHandler: requireRole('owner'), schema: { tags: ['settings'], summary: 'Change settings (partial document)', body: docSchema, response: { 200: changeSchema } } },
      async (req) => {
        const change = ctx.settings.update(req.body, principalOf(req).member_id);
        return { changed: change.changed, restart_required: change.restart_required };
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
      { preHandler: requireRole('owner'), schema: { tags: ['settings'], summary: 'The run-time settings as JSON, secrets replaced by [secret] (an import keeps the saved ones)', response: { 200: plainExportSchema } } },
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
        const sealed = await seal(Buffer.from(JSON.stringify({ settings_version, settings: ctx.settings.overridesDoc() })), req.body.passphrase, SETTINGS_MAGIC);
        ctx.audit.append({ actor: p.member_id, origin: 'web', kind: 'settings.exported', data: { secrets: true } });
        reply.header('Content-Disposition', 'attachment; filename="hearth-settings.sealed.json"');
        return { settings_version, encrypted: sealed.toString('base64') };
      },
    );
    r.post(
      '/settings/import',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary: 'Replace the run-time settings with an export: plain (`[secret]` keeps the saved secret) or encrypted with its passphrase',
          body: importSchema,
          response: { 200: changeSchema },
        },
      },
      async (req) => {
        let doc: Record<string, unknown>;
        if ('encrypted' in req.body) {
          const plain = await unseal(Buffer.from(req.body.encrypted, 'base64'), req.body.passphrase, SETTINGS_MAGIC, 'the settings export');
          const parsed = plainExportSchema.safeParse(parseJson(plain.toString('utf8')));
          if (!parsed.success) throw new HearthError('INVALID_SETTINGS', 'the encrypted export does not hold a settings document');
          doc = parsed.data.settings;
        } else doc = keepSavedSecrets(req.body.settings, ctx.settings.overridesDoc());
        const change = ctx.settings.replace(doc, principalOf(req).member_id);
        return { changed: change.changed, restart_required: change.restart_required };
      },
    );
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
