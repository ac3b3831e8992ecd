import type { PartTables } from '../store/database.js';

/**
 * The outbox. A notification is what happened; a delivery is one message to one person on
 * one channel, with an idempotency key (UNIQUE) so a retry, a restart or a second router
 * pass can never make two. Times are epoch milliseconds for cheap comparisons.
 */
export const notifyTables: PartTables = {
  part: 'notify',
  migrations: [
    {
      version: 1,
      name: 'notifications, deliveries, preferences',
      up: `
        CREATE TABLE notifications (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'urgent')),
          text TEXT NOT NULL,
          actions TEXT NOT NULL,
          meta TEXT NOT NULL DEFAULT '{}',
          subject TEXT,
          dedup_key TEXT,
          count INTEGER NOT NULL DEFAULT 1,
          escalate INTEGER NOT NULL DEFAULT 0,
          step INTEGER NOT NULL DEFAULT 0,
          next_escalation_at INTEGER,
          state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'closed')),
          ack_by TEXT,
          ack_via TEXT,
          ack_at INTEGER,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX notifications_dedup ON notifications (dedup_key, created_at);
        CREATE INDEX notifications_subject ON notifications (subject);
        CREATE INDEX notifications_escalation ON notifications (state, next_escalation_at);
        CREATE INDEX notifications_created ON notifications (created_at);
        CREATE TABLE deliveries (
          id TEXT PRIMARY KEY,
          notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
          member_id TEXT NOT NULL,
          channel TEXT NOT NULL,
          idem_key TEXT NOT NULL UNIQUE,
          step INTEGER NOT NULL DEFAULT 0,
          status TEXT NOT NULL CHECK (status IN ('queued', 'held', 'sending', 'delivered', 'failed', 'cancelled')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL,
          release_at INTEGER,
          message_ref TEXT,
          last_error TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          delivered_at INTEGER
        );
        CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
        CREATE INDEX deliveries_notification ON deliveries (notification_id);
        CREATE INDEX deliveries_member ON deliveries (member_id, created_at);
        CREATE TABLE notify_preferences (
          member_id TEXT PRIMARY KEY,
          doc TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        );
      `,
    },
  ],
};
