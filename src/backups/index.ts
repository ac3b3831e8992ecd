import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { coreErrors } from '../core/errors.js';
import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../part/context.js';
import type { PartTables } from '../store/database.js';
import { SecretBox } from '../config/secret-box.js';
import { BackupService } from './service.js';
import { backupRoutes } from './routes.js';

export const backupsTables: PartTables = {
  part: 'backups',
  migrations: [
    {
      version: 1,
      name: 'scheduled backups: the derived key (sealed) and the schedule',
      up: `CREATE TABLE backup_key (id INTEGER PRIMARY KEY CHECK (id = 1), salt BLOB NOT NULL, log_n INTEGER NOT NULL, r INTEGER NOT NULL, p INTEGER NOT NULL, sealed_key TEXT NOT NULL, set_at TEXT NOT NULL);
           CREATE TABLE backup_state (id INTEGER PRIMARY KEY CHECK (id = 1), next_due TEXT, last_ok_at TEXT, last_ok_file TEXT, last_error TEXT, last_error_at TEXT, copy_error TEXT);
           INSERT INTO backup_state (id) VALUES (1);`,
    },
  ],
};

export function createBackupsPart(ctx: HubContext) {
  const backups = new BackupService(ctx, ctx.secrets ?? SecretBox.open(ctx.dataDir));
  ctx.maintenance.define('run_backup', 'backups', async () => {
    const made = await backups.run('support', 'support');
    const path = join(backups.dir, made.name);
    if (!existsSync(path) || statSync(path).size !== made.bytes)
      throw coreErrors.error('MAINTENANCE_NO_EFFECT', `the backup ${made.name} is not on the disk as written`);
    return `made the encrypted backup ${made.name} (${made.bytes} bytes) in ${backups.dir}${made.copied ? ', and copied it to the second folder' : ''}`;
  });
  return { name: 'backups', backups, services: [backups], routes: backupRoutes(ctx, backups) as FastifyPluginAsync };
}
