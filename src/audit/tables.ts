import type { PartTables } from '../store/database.js';

export const auditTables: PartTables = {
  part: 'audit',
  migrations: [
    {
      version: 1,
      name: 'audit trail and its head',
      up: `
        CREATE TABLE audit (
          seq INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          origin TEXT NOT NULL,
          kind TEXT NOT NULL,
          subject TEXT,
          data TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        );
        CREATE INDEX audit_kind ON audit (kind, seq);
        CREATE INDEX audit_actor ON audit (actor, seq);
        CREATE INDEX audit_subject ON audit (subject, seq);
        CREATE INDEX audit_at ON audit (at);
        -- The last entry, written in the same transaction: cutting entries off the end shows.
        CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
      `,
    },
  ],
};
