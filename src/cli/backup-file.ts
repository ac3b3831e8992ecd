import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { EXIT, FatalError } from '../core/errors.js';

/**
 * The encrypted backup format, version 1 (all integers big-endian):
 *
 *   magic "HEARTHBK" (8) | version (1) | log2 N (1) | r (1) | p (1) | salt (16) | iv (12) | tag (16) | ciphertext
 *
 * key = scrypt(passphrase, salt, 32, {N, r, p}); ciphertext = AES-256-GCM(key, iv, gzip(database)),
 * with the header up to the iv as additional data, so a changed header fails like a changed body.
 */
export const MAGIC = Buffer.from('HEARTHBK', 'latin1');
export const FORMAT_VERSION = 1;
const HEADER = 8 + 1 + 3 + 16 + 12; // up to and with the iv: the AAD
const TAG = 16;
const DEFAULT_KDF = { logN: 15, r: 8, p: 1 };

function deriveKey(passphrase: string, salt: Buffer, kdf: { logN: number; r: number; p: number }): Promise<Buffer> {
  const N = 2 ** kdf.logN;
  return new Promise((resolve, reject) =>
    scryptCb(passphrase.normalize('NFC'), salt, 32, { N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function encryptBackup(database: Buffer, passphrase: string): Promise<Buffer> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION, DEFAULT_KDF.logN, DEFAULT_KDF.r, DEFAULT_KDF.p]), salt, iv]);
  const key = await deriveKey(passphrase, salt, DEFAULT_KDF);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(gzipSync(database)), cipher.final()]);
  return Buffer.concat([header, cipher.getAuthTag(), body]);
}

export async function decryptBackup(file: Buffer, passphrase: string, name: string): Promise<Buffer> {
  if (file.length < HEADER + TAG || !file.subarray(0, 8).equals(MAGIC)) {
    throw new FatalError(`${name} is not a Hearth backup (no HEARTHBK header)`, EXIT.dataErr);
  }
  const version = file[8]!;
  if (version !== FORMAT_VERSION) throw new FatalError(`${name} is a version ${version} backup; this Hearth reads version ${FORMAT_VERSION}`, EXIT.dataErr);
  const kdf = { logN: file[9]!, r: file[10]!, p: file[11]! };
  if (kdf.logN < 10 || kdf.logN > 20 || kdf.r < 1 || kdf.r > 32 || kdf.p < 1 || kdf.p > 16) {
    throw new FatalError(`${name} has implausible key parameters; it is damaged`, EXIT.dataErr);
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
    throw new FatalError(`cannot decrypt ${name}: wrong passphrase, or the file was changed or damaged. Nothing was restored.`, EXIT.dataErr);
  }
  try {
    return gunzipSync(zipped);
  } catch {
    throw new FatalError(`${name} decrypted but its content is damaged; nothing was restored`, EXIT.dataErr);
  }
}
