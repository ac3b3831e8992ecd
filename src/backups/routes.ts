import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubContext } from '../part/context.js';
import { forbidden } from '../core/errors.js';
import { principalOf, requireRole } from '../core/guard.js';
import type { BackupService } from './service.js';

const fileSchema = z.object({
  name: z.string(),
  bytes: z.number(),
  at: z.string(),
  age_s: z.number(),
  copied: z.boolean().describe('also in backups.copy_to'),
});
export const backupsStatusSchema = z.object({
  passphrase_set: z.boolean(),
  enabled: z.boolean(),
  next_due: z.string().nullable(),
  last_good: z.object({ at: z.string(), file: z.string(), age_s: z.number() }).nullable(),
  last_error: z.object({ at: z.string(), reason: z.string() }).nullable(),
  copy_error: z.string().nullable(),
  running: z.boolean(),
  files: z.array(fileSchema),
  restore: z.string().describe('How to restore: a sentence for the owner'),
});

export const RESTORE_HOW =
  'To restore, stop the hub (sudo systemctl stop hearth), run `sudo -u hearth hearth backup restore FILE` on the box with your backup passphrase, then start it again. The hub cannot restore itself while it runs.';

/** /api/v1/backups: the owner's view of the automatic backups, "Back up now", download. */
export function backupRoutes(ctx: HubContext, backups: BackupService): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const owner = requireRole('owner');
    r.get(
      '/backups',
      {
        preHandler: owner,
        schema: { tags: ['system'], summary: 'Automatic backups: the last good one, the schedule, the files', response: { 200: backupsStatusSchema } },
      },
      async () => ({ ...backups.status(), files: backups.list(), restore: RESTORE_HOW }),
    );
    r.post(
      '/backups',
      { preHandler: owner, schema: { tags: ['system'], summary: 'Back up now (encrypted with the backup passphrase)', response: { 201: fileSchema } } },
      async (req, reply) => {
        const file = await backups.run(principalOf(req).member_id, 'web');
        return reply.code(201).send(file);
      },
    );
    r.put(
      '/backups/passphrase',
      {
        preHandler: owner,
        schema: {
          tags: ['system'],
          summary:
            'Set the backup passphrase (signed-in owner only). Only a key derived from it is kept, sealed; keep the passphrase somewhere safe: restoring needs it.',
          body: z.strictObject({ passphrase: z.string().min(10, 'at least 10 characters').max(1024) }),
          response: { 204: z.null() },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        if (p.via !== 'session') throw forbidden('Setting the backup passphrase needs the owner signed in, not an API token', 'SESSION_REQUIRED');
        await backups.setPassphrase(req.body.passphrase, p.member_id);
        return reply.code(204).send(null);
      },
    );
    r.get(
      '/backups/files/:name',
      {
        preHandler: owner,
        schema: {
          tags: ['system'],
          summary: 'Download one backup (encrypted; restore it with `hearth backup restore`)',
          params: z.strictObject({ name: z.string().max(64) }),
        },
      },
      async (req, reply) => {
        const path = backups.file(req.params.name);
        ctx.audit.append({ actor: principalOf(req).member_id, origin: 'web', kind: 'backup.downloaded', data: { file: req.params.name } });
        reply.header('Content-Disposition', `attachment; filename="${req.params.name}"`).type('application/octet-stream');
        return reply.send(createReadStream(path));
      },
    );
  };
}
