import { randomBytes, randomFillSync, createHash, hash, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** A random, URL-safe id with a readable prefix: `mem_4k9…`. Time-ordered prefix keeps indexes tidy. */
export function newId(prefix: string): string {
  const time = Date.now().toString(32).padStart(9, '0');
  return `${prefix}_${time}${randomToken(10)}`;
}

/**
 * CSPRNG bytes drawn a few kilobytes at a time, each handed out once: a busy hub makes several
 * ids per action, and a call into OpenSSL for every ten bytes was a visible part of its time
 * (Node's randomUUID() keeps such a cache for the same reason).
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

/** `length` characters of base32 from a CSPRNG. */
export function randomToken(length: number): string {
  if (length > 256) return tokenFrom(randomBytes(length), 0, length);
  if (poolUsed + length > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  const start = poolUsed;
  poolUsed += length;
  const out = tokenFrom(pool, start, length);
  pool.fill(0, start, poolUsed); // used bytes do not stay in memory
  return out;
}

function tokenFrom(bytes: Buffer, start: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[start + i]! & 31];
  return out;
}

/** A secret for people to type: digits only, grouped for reading (`4821-0937`). */
export function humanCode(groups = 2, groupLength = 4): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    const bytes = randomBytes(groupLength);
    let part = '';
    for (let i = 0; i < groupLength; i++) part += String(bytes[i]! % 10);
    parts.push(part);
  }
  return parts.join('-');
}

/** One-shot hashing: about half the cost of createHash() for the short inputs the hub hashes (every audit entry). */
export const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex');

/** Compare secrets without leaking their length or content through timing. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
