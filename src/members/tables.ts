import type { PartTables } from '../store/database.js';

/**
 * People and their credentials. Secrets are stored only as hashes: scrypt for what people
 * choose (passwords, PINs), SHA-256 for what the hub generates with enough entropy
 * (session tokens, API token secrets, pairing codes). Sessions, tokens and pairing codes go
 * with their member (ON DELETE CASCADE), so deleting a member revokes them all.
 */
export const membersTables: PartTables = {
  part: 'members',
  migrations: [
    {
      version: 1,
      name: 'members, sessions, api tokens, pairing codes, hub state',
      up: `
        CREATE TABLE members (
          id TEXT PRIMARY KEY,
          username TEXT NOT NULL COLLATE NOCASE UNIQUE,
          display_name TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('owner', 'adult', 'child', 'elder', 'guest', 'support')),
          password_hash TEXT,
          pin_hash TEXT,
          phone TEXT,
          telegram_user_id INTEGER UNIQUE,
          disabled INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX members_role ON members (role);
        CREATE TABLE sessions (
          id TEXT PRIMARY KEY,
          token_hash TEXT NOT NULL UNIQUE,
          member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL,
          last_seen TEXT NOT NULL,
          ip TEXT,
          user_agent TEXT
        );
        CREATE INDEX sessions_member ON sessions (member_id);
        CREATE INDEX sessions_expires ON sessions (expires_at);
        CREATE TABLE api_tokens (
          id TEXT PRIMARY KEY,
          member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          scopes TEXT NOT NULL,
          hash TEXT NOT NULL,
          created_at TEXT NOT NULL,
          last_used_at TEXT,
          revoked_at TEXT,
          expires_at TEXT
        );
        CREATE INDEX api_tokens_member ON api_tokens (member_id);
        CREATE TABLE pairing_codes (
          code_hash TEXT PRIMARY KEY,
          member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL,
          used_at TEXT
        );
        CREATE INDEX pairing_codes_member ON pairing_codes (member_id);
        CREATE TABLE hub_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
      `,
    },
    {
      version: 2,
      name: 'member identities (telegram chat, phone) instead of per-channel columns',
      // How a channel knows who is speaking: one row per address, unique per kind, so SMS and
      // voice look up a phone number as Telegram looks up a chat. The old columns are emptied;
      // `telegram_user_id` stays as an unused column because SQLite cannot drop a UNIQUE column
      // without rebuilding the table, which would cascade-delete sessions and tokens.
      up: `
        CREATE TABLE member_identities (
          member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
          kind TEXT NOT NULL,
          value TEXT NOT NULL,
          verified_at TEXT,
          created_at TEXT NOT NULL,
          UNIQUE (kind, value)
        );
        CREATE INDEX member_identities_member ON member_identities (member_id, kind);
        INSERT INTO member_identities (member_id, kind, value, verified_at, created_at)
          SELECT id, 'telegram_chat', CAST(telegram_user_id AS TEXT), updated_at, updated_at FROM members WHERE telegram_user_id IS NOT NULL;
        -- A phone two members shared stays with the first of them (by creation).
        INSERT OR IGNORE INTO member_identities (member_id, kind, value, verified_at, created_at)
          SELECT id, 'phone', phone, NULL, updated_at FROM members WHERE phone IS NOT NULL ORDER BY created_at;
        UPDATE members SET telegram_user_id = NULL WHERE telegram_user_id IS NOT NULL;
        ALTER TABLE members DROP COLUMN phone;
      `,
    },
  ],
};
