import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import { newId, randomToken, safeEqual, sha256Hex } from '../core/ids.js';
import type { Principal, Role } from './model.js';

/** Active tokens one member may hold; revoked ones do not count. */
export const MAX_TOKENS_PER_MEMBER = 50;
const TOUCH_EVERY_MS = 60_000;
/**
 * `hth_<id>_<secret>`: the id finds the row, so only one hash is compared; the prefix lets
 * secret scanners (and people) recognise a Hearth token.
 */
const TOKEN_FORMAT = /^hth_(tok_[0-9a-z]{8,40})_([0-9a-z]{32})$/;

export interface TokenRow {
  id: string;
  member_id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

export interface TokenInfo {
  id: string;
  member_id: string;
  name: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

type LookupRow = TokenRow & { username: string; display_name: string; role: Role; disabled: number };

export function toInfo(row: TokenRow): TokenInfo {
  const { hash: _hash, scopes, ...rest } = row;
  return { ...rest, scopes: JSON.parse(scopes) as string[] };
}

/** API tokens: shown once when made, stored as the SHA-256 of their secret part. */
export class TokenStore {
  private readonly insert: Statement;
  private readonly lookupStmt: Statement<[string], LookupRow>;
  private readonly touchStmt: Statement<[string, string]>;
  private readonly byId: Statement<[string], TokenRow>;
  private readonly revokeStmt: Statement<[string, string]>;
  private readonly activeCount: Statement<[string, string], { n: number }>;
  private readonly listAll: Statement<[], TokenRow>;
  private readonly listMember: Statement<[string], TokenRow>;
  private readonly pruneStmt: Statement<[string, string]>;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      'INSERT INTO api_tokens (id, member_id, name, scopes, hash, created_at, expires_at) VALUES (@id, @member_id, @name, @scopes, @hash, @created_at, @expires_at)',
    );
    this.lookupStmt = db.prepare(
      `SELECT t.*, m.username, m.display_name, m.role, m.disabled FROM api_tokens t JOIN members m ON m.id = t.member_id WHERE t.id = ?`,
    );
    this.touchStmt = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
    this.byId = db.prepare('SELECT * FROM api_tokens WHERE id = ?');
    this.revokeStmt = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.activeCount = db.prepare('SELECT COUNT(*) AS n FROM api_tokens WHERE member_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)');
    this.listAll = db.prepare('SELECT * FROM api_tokens ORDER BY created_at DESC');
    this.listMember = db.prepare('SELECT * FROM api_tokens WHERE member_id = ? ORDER BY created_at DESC');
    this.pruneStmt = db.prepare('DELETE FROM api_tokens WHERE revoked_at <= ? OR expires_at <= ?');
  }

  /** `id` may be chosen first, so that the audit entry naming it is written in the same transaction. */
  create(memberId: string, name: string, scopes: string[], expiresInDays?: number, id = newId('tok')): { token: string; info: TokenInfo } {
    const now = this.clock.now();
    const secret = randomToken(32);
    const row: TokenRow = {
      id,
      member_id: memberId,
      name,
      scopes: JSON.stringify(scopes),
      hash: sha256Hex(secret),
      created_at: isoTime(now),
      last_used_at: null,
      revoked_at: null,
      expires_at: expiresInDays ? isoTime(now + expiresInDays * 86_400_000) : null,
    };
    this.insert.run(row);
    return { token: `hth_${id}_${secret}`, info: toInfo(row) };
  }

  activeFor(memberId: string): number {
    return this.activeCount.get(memberId, isoTime(this.clock.now()))!.n;
  }

  /** The principal behind a bearer token, or null when malformed, unknown, revoked, expired or disabled. */
  lookup(token: string): Principal | null {
    const m = TOKEN_FORMAT.exec(token);
    if (!m) return null;
    const row = this.lookupStmt.get(m[1]!);
    if (!row || !safeEqual(sha256Hex(m[2]!), row.hash)) return null;
    const now = this.clock.now();
    if (row.revoked_at || row.disabled) return null;
    if (row.expires_at && Date.parse(row.expires_at) <= now) return null;
    if (!row.last_used_at || now - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) this.touchStmt.run(isoTime(now), row.id);
    return {
      member_id: row.member_id,
      username: row.username,
      display_name: row.display_name,
      role: row.role,
      via: 'token',
      token_id: row.id,
      scopes: JSON.parse(row.scopes) as string[],
      ...(row.expires_at ? { expires_at: row.expires_at } : {}),
    };
  }

  get(id: string): TokenInfo | undefined {
    const row = this.byId.get(id);
    return row ? toInfo(row) : undefined;
  }

  list(memberId?: string): TokenInfo[] {
    return (memberId ? this.listMember.all(memberId) : this.listAll.all()).map(toInfo);
  }

  /** Forgets tokens revoked or expired more than `keepDays` ago (the audit trail still names them). */
  prune(keepDays = 90): number {
    const before = isoTime(this.clock.now() - keepDays * 86_400_000);
    return this.pruneStmt.run(before, before).changes;
  }

  /** True when this call revoked it (false when it already was). */
  revoke(id: string): boolean {
    return this.revokeStmt.run(isoTime(this.clock.now()), id).changes > 0;
  }
}
