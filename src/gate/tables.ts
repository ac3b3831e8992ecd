import type { PartTables } from '../store/database.js';

export const gateTables: PartTables = {
  part: 'gate',
  migrations: [
    {
      version: 1,
      name: 'approval envelopes and their decisions',
      up: `
        CREATE TABLE approvals (
          id TEXT PRIMARY KEY,
          action TEXT NOT NULL,
          origin TEXT NOT NULL,
          actor TEXT NOT NULL,
          risk TEXT NOT NULL,
          reason TEXT,
          policy TEXT NOT NULL,
          deny_ends INTEGER NOT NULL,
          created_at TEXT NOT NULL,
          created_ms INTEGER NOT NULL,
          expires_at TEXT NOT NULL,
          expires_ms INTEGER NOT NULL,
          nonce TEXT NOT NULL,
          digest TEXT NOT NULL,
          state TEXT NOT NULL,
          outcome TEXT,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX approvals_state ON approvals (state, expires_ms);
        CREATE INDEX approvals_created ON approvals (created_ms, id);
        -- One decision per member and envelope; each bound to the digest it was made on.
        CREATE TABLE approval_decisions (
          approval_id TEXT NOT NULL REFERENCES approvals (id),
          member_id TEXT NOT NULL,
          decision TEXT NOT NULL,
          channel TEXT NOT NULL,
          at TEXT NOT NULL,
          digest TEXT NOT NULL,
          PRIMARY KEY (approval_id, member_id)
        );
      `,
    },
    {
      version: 2,
      name: 'PIN confirmation windows of web sign-ins (hub changes, like sudo)',
      up: `
        CREATE TABLE confirm_windows (
          session_id TEXT PRIMARY KEY,
          member_id TEXT NOT NULL,
          until_ms INTEGER NOT NULL
        );
        CREATE INDEX confirm_windows_until ON confirm_windows (until_ms);
      `,
    },
  ],
};
