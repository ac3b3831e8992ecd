import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import { identityValue, type IdentityKind, type Member, type MemberFilter, type Role } from './model.js';

/**
 * A member as read: the members row, with the phone and Telegram chat from
 * `member_identities`. Only this file and the service see the hashes.
 */
export interface MemberRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string | null;
  pin_hash: string | null;
  phone: string | null;
  telegram_user_id: number | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

/** Columns a change may touch; the service decides who may change which. */
export type MemberChange = Partial<
  Pick<MemberRow, 'username' | 'display_name' | 'role' | 'password_hash' | 'pin_hash' | 'phone' | 'telegram_user_id' | 'disabled'>
>;
const CHANGEABLE = ['username', 'display_name', 'role', 'password_hash', 'pin_hash', 'disabled'] as const;

/** The members columns, and each channel address as the column it used to be. */
const SELECT = `SELECT m.id, m.username, m.display_name, m.role, m.password_hash, m.pin_hash, m.disabled, m.created_at, m.updated_at,
  (SELECT value FROM member_identities i WHERE i.member_id = m.id AND i.kind = 'phone' ORDER BY i.created_at LIMIT 1) AS phone,
  (SELECT CAST(value AS INTEGER) FROM member_identities i WHERE i.member_id = m.id AND i.kind = 'telegram_chat' ORDER BY i.created_at LIMIT 1) AS telegram_user_id
  FROM members m`;

export function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    role: row.role,
    phone: row.phone,
    telegram_user_id: row.telegram_user_id,
    disabled: row.disabled === 1,
    has_password: row.password_hash !== null,
    has_pin: row.pin_hash !== null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Prepared statements over `members` and `hub_state`. */
export class MemberRepo {
  private readonly byId: Statement<[string], MemberRow>;
  private readonly byUsername: Statement<[string], MemberRow>;
  private readonly byIdentity: Statement<[string, string], MemberRow>;
  private readonly insertRow: Statement;
  private readonly dropIdentity: Statement<[string, string]>;
  private readonly addIdentity: Statement<[string, string, string, string | null, string]>;
  private readonly touch: Statement<[string, string]>;
  private readonly deleteRow: Statement<[string]>;
  private readonly activeOwners: Statement<[], { n: number }>;
  private readonly stateGet: Statement<[string], { value: string }>;
  private readonly stateSet: Statement;
  private readonly updates = new Map<string, Statement>();

  constructor(readonly db: Db) {
    this.byId = db.prepare(`${SELECT} WHERE m.id = ?`);
    this.byUsername = db.prepare(`${SELECT} WHERE m.username = ?`); // the column is NOCASE
    this.byIdentity = db.prepare(`${SELECT} WHERE m.id = (SELECT member_id FROM member_identities WHERE kind = ? AND value = ?)`);
    this.insertRow = db.prepare(
      `INSERT INTO members (id, username, display_name, role, password_hash, pin_hash, disabled, created_at, updated_at)
       VALUES (@id, @username, @display_name, @role, @password_hash, @pin_hash, @disabled, @created_at, @updated_at)`,
    );
    this.dropIdentity = db.prepare('DELETE FROM member_identities WHERE member_id = ? AND kind = ?');
    this.addIdentity = db.prepare('INSERT INTO member_identities (member_id, kind, value, verified_at, created_at) VALUES (?, ?, ?, ?, ?)');
    this.touch = db.prepare('UPDATE members SET updated_at = ? WHERE id = ?');
    this.deleteRow = db.prepare('DELETE FROM members WHERE id = ?');
    this.activeOwners = db.prepare("SELECT COUNT(*) AS n FROM members WHERE role = 'owner' AND disabled = 0");
    this.stateGet = db.prepare('SELECT value FROM hub_state WHERE key = ?');
    this.stateSet = db.prepare(
      'INSERT INTO hub_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
  }

  get(id: string): MemberRow | undefined {
    return this.byId.get(id);
  }

  getByUsername(username: string): MemberRow | undefined {
    return this.byUsername.get(username);
  }

  /** The member an address belongs to (a phone in any usual spelling), or undefined. */
  getByIdentity(kind: IdentityKind, value: string | number): MemberRow | undefined {
    const v = identityValue(kind, value);
    return v === undefined ? undefined : this.byIdentity.get(kind, v);
  }

  /**
   * Replaces a member's address of one kind (null removes it). Throws SQLITE_CONSTRAINT_UNIQUE
   * when the address is another member's. Call inside the change's transaction.
   */
  setIdentity(memberId: string, kind: IdentityKind, value: string | number | null, at: string, verifiedAt: string | null = null): void {
    this.dropIdentity.run(memberId, kind);
    if (value !== null) {
      const v = identityValue(kind, value);
      if (v === undefined) throw new Error(`not a ${kind}: ${String(value)}`);
      this.addIdentity.run(memberId, kind, v, verifiedAt, at);
    }
    this.touch.run(at, memberId);
  }

  list(filter: MemberFilter = {}): MemberRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.role) {
      where.push('m.role = ?');
      params.push(filter.role);
    }
    if (!filter.include_disabled) where.push('m.disabled = 0');
    const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.username COLLATE NOCASE`;
    return this.db.prepare(sql).all(...params) as MemberRow[];
  }

  insert(row: MemberRow): void {
    const { phone, telegram_user_id, ...columns } = row;
    this.insertRow.run(columns);
    if (phone !== null) this.setIdentity(row.id, 'phone', phone, row.created_at);
    if (telegram_user_id !== null) this.setIdentity(row.id, 'telegram_chat', telegram_user_id, row.created_at);
  }

  update(id: string, change: MemberChange, updatedAt: string): void {
    if (change.phone !== undefined) this.setIdentity(id, 'phone', change.phone, updatedAt);
    if (change.telegram_user_id !== undefined) this.setIdentity(id, 'telegram_chat', change.telegram_user_id, updatedAt);
    const keys = CHANGEABLE.filter((k) => change[k] !== undefined);
    if (keys.length === 0) return;
    const sqlKey = keys.join(',');
    let stmt = this.updates.get(sqlKey);
    if (!stmt) {
      stmt = this.db.prepare(`UPDATE members SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @updated_at WHERE id = @id`);
      this.updates.set(sqlKey, stmt);
    }
    stmt.run({ ...Object.fromEntries(keys.map((k) => [k, change[k]])), updated_at: updatedAt, id });
  }

  delete(id: string): boolean {
    return this.deleteRow.run(id).changes > 0;
  }

  /** Owners who can still sign in: the hub must always keep at least one. */
  activeOwnerCount(): number {
    return this.activeOwners.get()!.n;
  }

  state(key: string): string | undefined {
    return this.stateGet.get(key)?.value;
  }

  setState(key: string, value: string, at: string): void {
    this.stateSet.run(key, value, at);
  }
}
