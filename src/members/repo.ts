import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import type { Member, MemberFilter, Role } from './model.js';

/** A members row as stored; only this file and the service see the hashes. */
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
export type MemberChange = Partial<Pick<MemberRow, 'username' | 'display_name' | 'role' | 'password_hash' | 'pin_hash' | 'phone' | 'telegram_user_id' | 'disabled'>>;
const CHANGEABLE = ['username', 'display_name', 'role', 'password_hash', 'pin_hash', 'phone', 'telegram_user_id', 'disabled'] as const;

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
  private readonly byTelegram: Statement<[number], MemberRow>;
  private readonly insertRow: Statement;
  private readonly deleteRow: Statement<[string]>;
  private readonly activeOwners: Statement<[], { n: number }>;
  private readonly stateGet: Statement<[string], { value: string }>;
  private readonly stateSet: Statement;
  private readonly updates = new Map<string, Statement>();

  constructor(readonly db: Db) {
    this.byId = db.prepare('SELECT * FROM members WHERE id = ?');
    this.byUsername = db.prepare('SELECT * FROM members WHERE username = ?'); // the column is NOCASE
    this.byTelegram = db.prepare('SELECT * FROM members WHERE telegram_user_id = ?');
    this.insertRow = db.prepare(
      `INSERT INTO members (id, username, display_name, role, password_hash, pin_hash, phone, telegram_user_id, disabled, created_at, updated_at)
       VALUES (@id, @username, @display_name, @role, @password_hash, @pin_hash, @phone, @telegram_user_id, @disabled, @created_at, @updated_at)`,
    );
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

  getByTelegram(telegramUserId: number): MemberRow | undefined {
    return this.byTelegram.get(telegramUserId);
  }

  list(filter: MemberFilter = {}): MemberRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.role) {
      where.push('role = ?');
      params.push(filter.role);
    }
    if (!filter.include_disabled) where.push('disabled = 0');
    const sql = `SELECT * FROM members ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY username COLLATE NOCASE`;
    return this.db.prepare(sql).all(...params) as MemberRow[];
  }

  insert(row: MemberRow): void {
    this.insertRow.run(row);
  }

  update(id: string, change: MemberChange, updatedAt: string): void {
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
