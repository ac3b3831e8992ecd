import { randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import { newId, sha256Hex } from '../core/ids.js';
import type { Principal, Role } from './model.js';

declare module '../core/bus.js' {
  interface HubEvents {
    /** A session was ended by logging out: whatever was opened with it (event streams) closes. */
    'session.ended': { member_id: string; session_id: string };
    /** The first owner was created with the setup code: their first sign-in may make the hub's first changes without a PIN prompt. */
    'setup.completed': { member_id: string; session_id: string };
    /**
     * A sign-in with the password by a member who has no PIN: for an owner, the password is then
     * the only secret there is to confirm hub changes with, so it opens the confirmation window.
     */
    'login.without_pin': { member_id: string; session_id: string };
    /** An API token was revoked: the event streams opened with it close. */
    'token.revoked': { member_id: string; token_id: string };
  }
}

export const SESSION_COOKIE = 'hearth_session';
/** Older sessions of a member beyond this are dropped at the next login: bounded rows. */
const MAX_SESSIONS_PER_MEMBER = 20;
/** last_seen is written at most this often, so that reading pages is not a disk write each time. */
const TOUCH_EVERY_MS = 60_000;

interface LookupRow {
  session_id: string;
  expires_at: string;
  last_seen: string;
  member_id: string;
  username: string;
  display_name: string;
  role: Role;
  disabled: number;
}

export interface NewSession {
  id: string;
  /** The cookie value: shown to the browser once, stored only as its SHA-256. */
  token: string;
  expires_at: string;
}

/** Login sessions. The token is 256 random bits; its SHA-256 is the lookup key. */
export class SessionStore {
  private readonly insert: Statement;
  private readonly lookupStmt: Statement<[string], LookupRow>;
  private readonly touchStmt: Statement<[string, string]>;
  private readonly deleteStmt: Statement<[string]>;
  private readonly deleteForMemberStmt: Statement<[string, string]>;
  private readonly trimStmt: Statement<[string, string, number]>;
  private readonly pruneStmt: Statement<[string]>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      'INSERT INTO sessions (id, token_hash, member_id, created_at, expires_at, last_seen, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.lookupStmt = db.prepare(
      `SELECT s.id AS session_id, s.expires_at, s.last_seen, m.id AS member_id, m.username, m.display_name, m.role, m.disabled
       FROM sessions s JOIN members m ON m.id = s.member_id WHERE s.token_hash = ?`,
    );
    this.touchStmt = db.prepare('UPDATE sessions SET last_seen = ? WHERE id = ?');
    this.deleteStmt = db.prepare('DELETE FROM sessions WHERE id = ?');
    this.deleteForMemberStmt = db.prepare('DELETE FROM sessions WHERE member_id = ? AND id != ?');
    this.trimStmt = db.prepare(
      'DELETE FROM sessions WHERE member_id = ? AND id NOT IN (SELECT id FROM sessions WHERE member_id = ? ORDER BY created_at DESC LIMIT ?)',
    );
    this.pruneStmt = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
  }

  create(memberId: string, ttlMs: number, client: { ip?: string; user_agent?: string } = {}): NewSession {
    const now = this.clock.now();
    const token = randomBytes(32).toString('base64url');
    const id = newId('ses');
    const expires_at = isoTime(now + ttlMs);
    this.insert.run(id, sha256Hex(token), memberId, isoTime(now), expires_at, isoTime(now), client.ip ?? null, client.user_agent?.slice(0, 200) ?? null);
    this.trimStmt.run(memberId, memberId, MAX_SESSIONS_PER_MEMBER);
    return { id, token, expires_at };
  }

  /** The principal behind a cookie value, or null when unknown, expired or its member disabled. */
  lookup(token: string): Principal | null {
    if (token.length < 20 || token.length > 100) return null;
    const row = this.lookupStmt.get(sha256Hex(token));
    if (!row) return null;
    const now = this.clock.now();
    if (Date.parse(row.expires_at) <= now) {
      this.deleteStmt.run(row.session_id);
      return null;
    }
    if (row.disabled) return null;
    if (now - Date.parse(row.last_seen) > TOUCH_EVERY_MS) this.touchStmt.run(isoTime(now), row.session_id);
    return {
      member_id: row.member_id,
      username: row.username,
      display_name: row.display_name,
      role: row.role,
      via: 'session',
      session_id: row.session_id,
      expires_at: row.expires_at,
    };
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  /** Ids of a member's sessions (to tell their event streams they ended). */
  idsFor(memberId: string): string[] {
    return (this.db.prepare('SELECT id FROM sessions WHERE member_id = ?').all(memberId) as { id: string }[]).map((r) => r.id);
  }

  /** Ends every session of a member, except `keep` (the one changing its own password). */
  deleteForMember(memberId: string, keep = ''): number {
    return this.deleteForMemberStmt.run(memberId, keep).changes;
  }

  prune(): number {
    return this.pruneStmt.run(isoTime(this.clock.now())).changes;
  }
}

/** The session cookie from a parsed cookie map or, failing that, the raw Cookie header. */
export function sessionCookieFrom(headers: Record<string, string | string[] | undefined>, cookies?: Record<string, string | undefined>): string | undefined {
  const parsed = cookies?.[SESSION_COOKIE];
  if (parsed) return parsed;
  const raw = headers.cookie;
  const header = Array.isArray(raw) ? raw.join('; ') : raw;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
