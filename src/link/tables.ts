import type { PartTables } from '../store/database.js';

export const linkTables: PartTables = {
  part: 'link',
  migrations: [
    {
      version: 1,
      name: 'upstream outbox, seen down commands, support grants',
      up: `
        -- What goes up, in order (id), until the broker's PUBACK deletes it.
        CREATE TABLE link_outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          msg_id TEXT NOT NULL UNIQUE,
          class TEXT NOT NULL CHECK (class IN ('audit', 'alert', 'event', 'telemetry')),
          topic TEXT NOT NULL,
          payload TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX link_outbox_class ON link_outbox (class, id);
        -- The last audit seq put in the outbox, so that entries appended by another process
        -- (the CLI) or before the link was configured are caught up in order.
        CREATE TABLE link_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        -- Ids of accepted down commands until they expire: a replay after a restart is still refused.
        CREATE TABLE link_seen_commands (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
        CREATE INDEX link_seen_commands_expiry ON link_seen_commands (expires_at);
        CREATE TABLE support_grants (
          id TEXT PRIMARY KEY,
          scope TEXT NOT NULL CHECK (scope IN ('diagnostics', 'maintenance')),
          engineer TEXT,
          note TEXT,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          revoked_at INTEGER,
          revoked_by TEXT
        );
      `,
    },
  ],
};
