import type { Settings } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { AuditChains } from './chain.js';
import { openDb, type Db } from './db.js';
import { HubReports } from './reports.js';
import { RelayBackups } from './backups.js';

/**
 * The relay's state, in one store shared by every relay of a group: SQLite (`relay.state_file`,
 * or memory) for one relay, PostgreSQL (`relay.database_url`) for many. Each part of the state
 * creates its own tables (portable SQL, see db.ts) when the store opens.
 */
export interface RelayStore {
  db: Db;
  chains: AuditChains;
  reports: HubReports;
  backups: RelayBackups;
  close(): Promise<void>;
}

export async function openRelayStore(s: Settings['relay'], log: Logger): Promise<RelayStore> {
  const db = await openDb({ url: s.database_url, file: s.state_file, log });
  try {
    const chains = await AuditChains.open(db);
    const reports = await HubReports.open(db, { keep: s.reports_keep, days: s.reports_days });
    const backups = await RelayBackups.open(db, { keep: s.backups_keep, maxBytes: s.backup_max_mb * 1024 * 1024, log });
    return { db, chains, reports, backups, close: () => db.close() };
  } catch (err) {
    await db.close();
    throw err;
  }
}
