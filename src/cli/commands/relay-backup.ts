import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EXIT, FatalError } from '../../core/errors.js';
import { relayDownloadToken, rederiveKey } from '../../core/sealed.js';

/**
 * The relay's copy of a hub's backup, fetched with nothing but the backup passphrase (for a fresh
 * box after the SD card died): the salt and scrypt parameters from the relay (not secret), the
 * key derived here, the download token made from it, the newest copy (or `name`) downloaded and
 * its SHA-256 checked. The relay never sees the passphrase or the key.
 */
export async function fetchRelayCopy(o: {
  url: string;
  hubId: string;
  passphrase: string;
  name?: string;
  ca?: string;
}): Promise<{ name: string; sealed: Buffer }> {
  const base = `${o.url.replace(/\/+$/, '')}/relay/v1/backups/${encodeURIComponent(o.hubId)}`;
  const ca = o.ca ? readFileSync(o.ca) : undefined;
  const kdf = JSON.parse((await get(`${base}/kdf`, ca)).toString('utf8')) as { salt: string; log_n: number; r: number; p: number };
  const key = await rederiveKey(o.passphrase, Buffer.from(kdf.salt, 'hex'), { logN: kdf.log_n, r: kdf.r, p: kdf.p });
  const headers = { 'x-hearth-download-token': relayDownloadToken(key) };
  const { copies } = JSON.parse((await get(base, ca, headers)).toString('utf8')) as { copies: { name: string; sha256: string }[] };
  const copy = o.name ? copies.find((c) => c.name === o.name) : copies[0];
  if (!copy)
    throw new FatalError(
      `the relay has no copy called ${o.name ?? '(any)'} for this passphrase; it has: ${copies.map((c) => c.name).join(', ')}`,
      EXIT.dataErr,
    );
  const sealed = await get(`${base}/${encodeURIComponent(copy.name)}`, ca, headers);
  if (createHash('sha256').update(sealed).digest('hex') !== copy.sha256)
    throw new FatalError(`the copy of ${copy.name} arrived damaged (its SHA-256 differs)`, EXIT.dataErr);
  return { name: copy.name, sealed };
}

function get(url: string, ca: Buffer | undefined, headers: Record<string, string> = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? request : httpRequest;
    const req = send(url, { headers, ...(ca ? { ca } : {}), timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode === 200) return resolve(body);
        let why = `HTTP ${res.statusCode}`;
        try {
          why = (JSON.parse(body.toString('utf8')) as { error: { message: string } }).error.message;
        } catch {
          /* not JSON */
        }
        const hint = res.statusCode === 404 ? ' (wrong hub id or passphrase, or no copy yet)' : '';
        reject(new FatalError(`the relay refused: ${why}${hint}`, res.statusCode === 404 ? EXIT.dataErr : EXIT.unavailable));
      });
    });
    req.on('timeout', () => req.destroy(new Error('the relay did not answer in 60 s')));
    req.on('error', (err) => reject(new FatalError(`cannot reach the relay at ${url}: ${err.message}`, EXIT.unavailable)));
    req.end();
  });
}
