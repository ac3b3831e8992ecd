import { z } from 'zod';
import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import { conflict, notFound } from '../core/errors.js';
import { randomToken } from '../core/ids.js';
import { hashPassword, verifyPassword, burnPasswordCheck, type ScryptParams } from '../members/passwords.js';

/**
 * Device passwords are 120-bit random tokens, not human passwords: a lighter scrypt cost is
 * enough, and keeps a reconnect storm of devices after a hub restart short.
 */
const DEVICE_PARAMS: ScryptParams = { ln: 13, r: 8, p: 1 };

export const credentialSchema = z.object({
  username: z.string(),
  description: z.string().nullable(),
  created_at: z.string(),
  created_by: z.string(),
  last_used_at: z.string().nullable(),
});
export type DeviceCredential = z.infer<typeof credentialSchema>;

export const usernameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

/** LAN broker logins for devices; only a scrypt hash of each password is kept. */
export class DeviceCredentials {
  /** Every connect is verified against the table, so deleting a login refuses the next connect; the
   *  route also has the broker disconnect the devices connected with it. */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  list(): DeviceCredential[] {
    return this.db
      .prepare('SELECT username, description, created_at, created_by, last_used_at FROM device_credentials ORDER BY username')
      .all() as DeviceCredential[];
  }

  get(username: string): DeviceCredential | undefined {
    return this.db.prepare('SELECT username, description, created_at, created_by, last_used_at FROM device_credentials WHERE username = ?').get(username) as
      DeviceCredential | undefined;
  }

  /** Creates a login with a fresh random password, returned once and never stored in clear. */
  async create(username: string, by: string, description: string | null = null): Promise<{ credential: DeviceCredential; password: string }> {
    const { password, hash } = await this.newPassword(username);
    return { credential: this.insert(username, hash, by, description), password };
  }

  /** A fresh random password and its hash, for a login not made yet (its approval may come later). */
  async newPassword(username: string): Promise<{ password: string; hash: string }> {
    if (this.get(username)) throw conflict('CREDENTIAL_EXISTS', `a device login named ${username} already exists`);
    const password = randomToken(24);
    return { password, hash: await hashPassword(password, DEVICE_PARAMS) };
  }

  /** Stores a login from newPassword's hash. */
  insert(username: string, hash: string, by: string, description: string | null = null): DeviceCredential {
    const credential: DeviceCredential = { username, description, created_at: isoTime(this.clock.now()), created_by: by, last_used_at: null };
    try {
      this.db
        .prepare('INSERT INTO device_credentials (username, hash, description, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
        .run(username, hash, description, credential.created_at, by);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw conflict('CREDENTIAL_EXISTS', `a device login named ${username} already exists`);
      throw err;
    }
    return credential;
  }

  remove(username: string): void {
    const r = this.db.prepare('DELETE FROM device_credentials WHERE username = ?').run(username);
    if (r.changes === 0) throw notFound('device login', username);
  }

  async verify(username: string, password: string): Promise<boolean> {
    const row = this.db.prepare('SELECT hash FROM device_credentials WHERE username = ?').get(username) as { hash: string } | undefined;
    if (!row) {
      // Spend the time anyway, so timing does not reveal which usernames exist.
      await burnPasswordCheck(password);
      return false;
    }
    const ok = await verifyPassword(password, row.hash);
    if (ok) this.db.prepare('UPDATE device_credentials SET last_used_at = ? WHERE username = ?').run(isoTime(this.clock.now()), username);
    return ok;
  }
}
