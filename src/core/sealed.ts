import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { HearthError, coreErrors } from './errors.js';

/**
 * Data sealed with a passphrase (backups, settings exports with secrets), version 1 (integers big-endian):
 *
 *   magic (8: "HEARTHBK" backups, "HEARTHST" settings) | version (1) | log2 N (1) | r (1) | p (1) | salt (16) | iv (12) | tag (16) | ciphertext
 *
 * key = scrypt(passphrase, salt, 32, {N, r, p}); ciphertext = AES-256-GCM(key, iv, gzip(data)),
 * with the header up to the iv as additional data, so a changed header fails like a changed body.
 * Errors are HearthError 400 `SEALED_INVALID` with a sentence naming `name`.
 */
export const BACKUP_MAGIC = 'HEARTHBK';
export const SETTINGS_MAGIC = 'HEARTHST';
export const FORMAT_VERSION = 1;
const HEADER = 8 + 1 + 3 + 16 + 12; // up to and with the iv: the AAD
const TAG = 16;
const DEFAULT_KDF = { logN: 15, r: 8, p: 1 };

function deriveKey(passphrase: string, salt: Buffer, kdf: { logN: number; r: number; p: number }): Promise<Buffer> {
  const N = 2 ** kdf.logN;
  return new Promise((resolve, reject) =>
    scryptCb(passphrase.normalize('NFC'), salt, 32, { N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A key derived once from a passphrase, with what a reader needs to derive it again (see `sealWithKey`). */
export interface DerivedKey {
  salt: Buffer;
  kdf: { logN: number; r: number; p: number };
  key: Buffer;
}

export async function derivePassphraseKey(passphrase: string): Promise<DerivedKey> {
  const salt = randomBytes(16);
  return { salt, kdf: DEFAULT_KDF, key: await deriveKey(passphrase, salt, DEFAULT_KDF) };
}

/** The same key again from the passphrase and a sealed file's salt and parameters (see `sealedKdf`). */
export function rederiveKey(passphrase: string, salt: Buffer, kdf: { logN: number; r: number; p: number }): Promise<Buffer> {
  return deriveKey(passphrase, salt, kdf);
}

/** The salt and scrypt parameters in a sealed file's header (not secret), or undefined. */
export function sealedKdf(file: Buffer): { salt: Buffer; kdf: { logN: number; r: number; p: number } } | undefined {
  if (file.length < HEADER + TAG || file[8] !== FORMAT_VERSION) return undefined;
  return { salt: Buffer.from(file.subarray(12, 28)), kdf: { logN: file[9]!, r: file[10]!, p: file[11]! } };
}

/**
 * What fetches a hub's backup copies from the relay: an HMAC of a fixed label under the
 * passphrase-derived key. Whoever knows the passphrase can compute it on a fresh box; the relay
 * keeps only its SHA-256 (`relayDownloadDigest`), which opens nothing.
 */
export function relayDownloadToken(key: Buffer): string {
  return createHmac('sha256', key).update('hearth relay backup download v1').digest('hex');
}
export const relayDownloadDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

export async function seal(data: Buffer, passphrase: string, magic: string): Promise<Buffer> {
  return sealWithKey(data, await derivePassphraseKey(passphrase), magic);
}

/**
 * Seals with a key derived earlier (scheduled backups: the hub keeps the derived key, never the
 * passphrase). The file is the same format: its header carries the salt and parameters, so
 * `unseal` with the passphrase opens it. A fresh iv each time keeps GCM safe under one key.
 */
export function sealWithKey(data: Buffer, derived: DerivedKey, magic: string): Buffer {
  const { salt, kdf, key } = derived;
  const iv = randomBytes(12);
  const header = Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.from([FORMAT_VERSION, kdf.logN, kdf.r, kdf.p]), salt, iv]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(gzipSync(data)), cipher.final()]);
  return Buffer.concat([header, cipher.getAuthTag(), body]);
}

const invalid = (message: string) => coreErrors.error('SEALED_INVALID', message);
const KIND: Record<string, string> = { [BACKUP_MAGIC]: 'a Hearth backup', [SETTINGS_MAGIC]: 'a Hearth settings export' };

export async function unseal(file: Buffer, passphrase: string, magic: string, name: string): Promise<Buffer> {
  if (file.length < HEADER + TAG || !file.subarray(0, 8).equals(Buffer.from(magic, 'latin1'))) {
    throw invalid(`${name} is not ${KIND[magic] ?? magic} (no ${magic} header)`);
  }
  const version = file[8]!;
  if (version !== FORMAT_VERSION) throw invalid(`${name} is a version ${version} file; this Hearth reads version ${FORMAT_VERSION}`);
  const kdf = { logN: file[9]!, r: file[10]!, p: file[11]! };
  if (kdf.logN < 10 || kdf.logN > 20 || kdf.r < 1 || kdf.r > 32 || kdf.p < 1 || kdf.p > 16) {
    throw invalid(`${name} has implausible key parameters; it is damaged`);
  }
  const salt = file.subarray(12, 28);
  const iv = file.subarray(28, HEADER);
  const tag = file.subarray(HEADER, HEADER + TAG);
  const key = await deriveKey(passphrase, salt, kdf);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(file.subarray(0, HEADER));
  decipher.setAuthTag(tag);
  let zipped: Buffer;
  try {
    zipped = Buffer.concat([decipher.update(file.subarray(HEADER + TAG)), decipher.final()]);
  } catch {
    throw invalid(`cannot decrypt ${name}: wrong passphrase, or the file was changed or damaged. Nothing was restored.`);
  }
  try {
    return gunzipSync(zipped);
  } catch {
    throw invalid(`${name} decrypted but its content is damaged; nothing was restored`);
  }
}
