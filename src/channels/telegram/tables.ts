import type { PartTables } from '../../store/database.js';

/** Secrets the bot generates once and keeps: the callback HMAC key, the webhook secret. */
export const telegramTables: PartTables = {
  part: 'telegram',
  migrations: [
    {
      version: 1,
      name: 'telegram state',
      up: `CREATE TABLE telegram_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);`,
    },
  ],
};
