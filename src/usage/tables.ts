import type { PartTables } from '../store/database.js';

/**
 * Usage per member, month (YYYY-MM in the home's time zone) and kind. `reserved` is what
 * requests in flight may still spend: a request reserves its most before it starts and
 * settles to what it spent after, so `used + reserved` never passes the cap. Open
 * reservations are listed, so a crash between the two cannot leave a cap held for ever.
 */
export const usageTables: PartTables = {
  part: 'usage',
  migrations: [
    {
      version: 1,
      name: 'usage counters, reservations, alerts',
      up: `
        CREATE TABLE usage_counters (
          member_id TEXT NOT NULL,
          month TEXT NOT NULL,
          kind TEXT NOT NULL,
          used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
          reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
          requests INTEGER NOT NULL DEFAULT 0,
          refused INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (member_id, month, kind)
        );
        CREATE TABLE usage_reservations (
          id TEXT PRIMARY KEY,
          member_id TEXT NOT NULL,
          month TEXT NOT NULL,
          kind TEXT NOT NULL,
          amount INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE usage_alerts (
          member_id TEXT NOT NULL,
          month TEXT NOT NULL,
          kind TEXT NOT NULL,
          threshold REAL NOT NULL,
          at INTEGER NOT NULL,
          PRIMARY KEY (member_id, month, kind, threshold)
        );
      `,
    },
  ],
};
