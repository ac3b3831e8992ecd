import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../config/load.js';
import { silentLogger } from '../core/logger.js';
import { systemClock } from '../core/clock.js';
import { EXIT, FatalError } from '../core/errors.js';
import { DATABASE_FILE, Store } from '../store/database.js';
import { AuditTrail } from '../audit/trail.js';
import { allTables } from '../hub/parts.js';
import { flagsFrom } from './args.js';

/**
 * For one-shot commands (audit, approvals, backup): the store of the configured data
 * directory, opened beside a running hub if there is one (WAL allows readers and writers).
 */
export function openStoreForCli(values: { config?: string; data?: string }): { store: Store; audit: AuditTrail; dataDir: string } {
  const { settings } = loadSettings({ file: values.config, flags: flagsFrom(values) });
  const dataDir = resolve(settings.hub.data_dir);
  if (!existsSync(join(dataDir, DATABASE_FILE))) {
    throw new FatalError(`no Hearth database in ${dataDir} (use --data DIR or HEARTH_DATA_DIR to point at it)`, EXIT.dataErr);
  }
  const store = Store.open({ dataDir, log: silentLogger(), parts: allTables });
  return { store, audit: new AuditTrail(store.db, systemClock), dataDir };
}
