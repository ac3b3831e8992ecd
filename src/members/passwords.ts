import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { membersErrors } from './errors.js';

/**
 * scrypt hashes in a PHC-style string, `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64), so the
 * cost can be raised later: old hashes still verify with the parameters they carry, and
 * `needsRehash` says when to re-hash on the next successful sign-in.
 */
export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  ln: number;
  r: number;
  p: number;
}

/** ~32 MiB and ~150 ms per hash on a Pi-class box: slow enough for guessing, fine for a login. */
export const PASSWORD_PARAMS: ScryptParams = { ln: 15, r: 8, p: 1 };
/**
 * PINs are checked synchronously (the gate asks inside its own flow) and their space is tiny
 * anyway, so the lockout in the service is the real defence; ~8 MiB keeps the event loop short.
 */
export const PIN_PARAMS: ScryptParams = { ln: 13, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const m = FORMAT.exec(stored);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 10 || params.ln > 22 || params.r < 1 || params.p < 1) return undefined;
  return { params, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') };
}

function options(params: ScryptParams): ScryptOptions {
  // maxmem must exceed 128·N·r, or node refuses the larger costs.
  return { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: 256 * 2 ** params.ln * params.r };
}

function format(params: ScryptParams, salt: Buffer, hash: Buffer): string {
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

// Each password hash holds ~32 MiB for its duration; two at a time keeps a login burst bounded.
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function derive(secret: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(secret.normalize('NFKC'), salt, length, options(params), (err, key) => (err ? reject(err) : resolve(key))),
    );
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function hashPassword(password: string, params: ScryptParams = PASSWORD_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  return format(params, salt, await derive(password, salt, params, KEY_LENGTH));
}

/** False for a wrong password and for a stored value that is not a hash we know. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(key, parsed.hash);
}

export function hashPinSync(pin: string, params: ScryptParams = PIN_PARAMS): string {
  const salt = randomBytes(SALT_LENGTH);
  return format(params, salt, scryptSync(pin, salt, KEY_LENGTH, options(params)));
}

export function verifyPinSync(pin: string, stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return false;
  return timingSafeEqual(scryptSync(pin, parsed.salt, parsed.hash.length, options(parsed.params)), parsed.hash);
}

/** True when a stored hash is weaker than the current parameters (re-hash after a good sign-in). */
export function needsRehash(stored: string, params: ScryptParams = PASSWORD_PARAMS): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  return parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}

let dummy: Promise<string> | undefined;

/** Makes the stand-in hash ahead of the first unknown-user login, off the event loop. */
export function warmUpPasswordChecks(): void {
  dummy ??= hashPassword('not a real password, only for timing');
  dummy.catch(() => (dummy = undefined));
}
/**
 * Spends the same time as checking a real password, for unknown usernames: a fast "no such
 * user" would tell an attacker which usernames exist.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('not a real password, only for timing');
  await verifyPassword(password, await dummy);
}

/** The policy beyond the schema's length: not the username, not one repeated character. */
export function checkPasswordPolicy(password: string, username: string): void {
  if (password.length < 10) throw membersErrors.error('WEAK_PASSWORD', 'The password needs at least 10 characters');
  if (password.toLowerCase() === username.toLowerCase()) throw membersErrors.error('WEAK_PASSWORD', 'The password must not be the username');
  if (/^(.)\1*$/.test(password)) throw membersErrors.error('WEAK_PASSWORD', 'The password must not be one character repeated');
}
