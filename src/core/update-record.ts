import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What `hearth update` leaves in the data directory for the hub it starts: the last update's
 * versions, state and, after a rollback, why. The hub reads it on start to audit the install
 * and to tell the owners about a rollback (once: `announced`).
 */
export const updateRecordSchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  sha256: z.string(),
  backup: z.string().describe('the copy of the database taken before the new release migrated it'),
  started_at: z.string(),
  state: z.enum(['switching', 'done', 'rolled_back', 'rollback_failed']),
  reason: z.string().optional().describe('why the new release was not healthy'),
  finished_at: z.string().optional(),
  announced: z.boolean().default(false),
});
export type UpdateRecord = z.infer<typeof updateRecordSchema>;

export const UPDATE_RECORD_FILE = 'update.json';

export function readUpdateRecord(dataDir: string): UpdateRecord | undefined {
  const path = join(dataDir, UPDATE_RECORD_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = updateRecordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole and renamed into place: a reader never sees half a record. */
export function writeUpdateRecord(dataDir: string, record: UpdateRecord): void {
  const path = join(dataDir, UPDATE_RECORD_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
