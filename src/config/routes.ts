import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { SettingsService } from './service.js';
import { principalOf, requireRole } from '../core/guard.js';

const changeSchema = z.object({ changed: z.array(z.string()), restart_required: z.array(z.string()) });
const docSchema = z.record(z.string(), z.unknown());

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
    r.get('/settings/export', { preHandler: requireRole('owner'), schema: { tags: ['settings'], summary: 'The run-time settings as JSON, for import elsewhere' } }, async (req, reply) => {
      ctx.audit.append({ actor: principalOf(req).member_id, origin: 'web', kind: 'settings.exported', data: {} });
      reply.header('Content-Disposition', 'attachment; filename="hearth-settings.json"');
      return { settings_version: ctx.settings.get().settings_version, settings: ctx.settings.overridesDoc() };
    });
    r.post(
      '/settings/import',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['settings'],
          summary: 'Replace the run-time settings with an exported document',
          body: z.strictObject({ settings_version: z.number().int(), settings: docSchema }),
          response: { 200: changeSchema },
        },
      },
      async (req) => {
        const change = ctx.settings.replace(req.body.settings, principalOf(req).member_id);
        return { changed: change.changed, restart_required: change.restart_required };
      },
    );
  };
}
