import type { PartTables } from '../store/database.js';

/**
 * Check-ins: the schedule (its next due time is stored, so a restart or a DST change never
 * skips or repeats a call), each attempt (a durable ladder: the next call's time is a column),
 * each call, and (with a model) a one-line summary of what the elder said.
 */
export const checkinsTables: PartTables = {
  part: 'checkins',
  migrations: [
    {
      version: 1,
      name: 'check-ins, attempts, calls',
      up: `
        CREATE TABLE checkins (
          id TEXT PRIMARY KEY,
          member_id TEXT NOT NULL,
          doc TEXT NOT NULL,
          enabled INTEGER NOT NULL DEFAULT 1,
          next_due_at INTEGER,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX checkins_due ON checkins (next_due_at) WHERE enabled = 1;
        CREATE TABLE checkin_attempts (
          id TEXT PRIMARY KEY,
          checkin_id TEXT NOT NULL,
          member_id TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('calling', 'waiting', 'done', 'escalated')),
          outcome TEXT,
          said TEXT,
          tries INTEGER NOT NULL DEFAULT 0,
          next_call_at INTEGER,
          notification_id TEXT,
          escalation_kind TEXT,
          escalated_at INTEGER,
          all_clear_at INTEGER,
          started_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX checkin_attempts_by_checkin ON checkin_attempts (checkin_id, started_at);
        CREATE INDEX checkin_attempts_due ON checkin_attempts (next_call_at) WHERE next_call_at IS NOT NULL;
        CREATE TABLE checkin_calls (
          id TEXT PRIMARY KEY,
          attempt_id TEXT NOT NULL,
          sid TEXT UNIQUE,
          status TEXT NOT NULL,
          answered_by TEXT,
          said TEXT,
          digits TEXT,
          outcome TEXT,
          ended INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX checkin_calls_by_attempt ON checkin_calls (attempt_id, created_at);
      `,
    },
    {
      version: 2,
      name: "an attempt's one-line summary by the model",
      up: `ALTER TABLE checkin_attempts ADD COLUMN summary TEXT;`,
    },
    {
      version: 3,
      name: 'who the relay told while the hub was away (member ids), for the all clear',
      up: `ALTER TABLE checkin_attempts ADD COLUMN relay_told TEXT;`,
    },
  ],
};
