import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { RelayAccount } from '../config/sections/relay.js';
import { safeEqual, sha256Hex } from '../core/ids.js';

/** `scrypt$<salt>$<hash>`, for `relay.accounts[].password_hash`. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 32).toString('hex')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, saltHex, hashHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = scryptSync(password, Buffer.from(saltHex, 'hex'), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let dummyHash: string | undefined;

export const hashToken = (token: string): string => sha256Hex(token);

/** The account behind an Authorization header (Bearer token or Basic id:password), or null. */
export function authenticate(header: string | undefined, accounts: RelayAccount[]): RelayAccount | null {
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return null;
  if (scheme?.toLowerCase() === 'bearer') {
    const digest = hashToken(value);
    return accounts.find((a) => a.token_sha256 && safeEqual(a.token_sha256, digest)) ?? null;
  }
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return null;
    const account = accounts.find((a) => a.id === decoded.slice(0, i));
    if (!account?.password_hash) {
      // The same scrypt work as for a real account: a fast "no" would tell which ids exist.
      verifyPassword(decoded.slice(i + 1), (dummyHash ??= hashPassword('not a real password, only for timing')));
      return null;
    }
    return verifyPassword(decoded.slice(i + 1), account.password_hash) ? account : null;
  }
  return null;
}
