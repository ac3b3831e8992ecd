import type { PartTables } from '../store/database.js';

export const configTables: PartTables = {
  part: 'config',
  migrations: [
    {
      version: 1,
      name: 'run-time settings overrides',
      up: `CREATE TABLE settings_overrides (id INTEGER PRIMARY KEY CHECK (id = 1), doc TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);`,
    },
  ],
};
