import type { PartTables } from '../../store/database.js';

/** Webhooks already acted on, by idempotency token and by CallSid+step: a replay gets the same answer and acts once. */
export const twilioTables: PartTables = {
  part: 'twilio',
  migrations: [
    {
      version: 1,
      name: 'webhook replays',
      up: `
        CREATE TABLE twilio_webhooks (
          key TEXT PRIMARY KEY,
          response TEXT NOT NULL,
          at INTEGER NOT NULL
        );
        CREATE INDEX twilio_webhooks_at ON twilio_webhooks (at);
      `,
    },
  ],
};
