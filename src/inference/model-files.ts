import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, fsyncSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkGgufHeader } from './local.js';
import { inferenceErrors } from './errors.js';

/**
 * Model files in `<data>/models`: `hearth model pull URL --sha256 HASH` downloads one, resuming
 * a cut download with an HTTP Range request, and keeps it only when its SHA-256 matches and it
 * reads as a GGUF; `hearth model list` shows what is there.
 */

export const modelsDir = (dataDir: string): string => join(dataDir, 'models');

export interface PullProgress {
  received: number;
  total: number | null;
  resumed: boolean;
}

export interface PullOptions {
  url: string;
  sha256: string;
  dataDir: string;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
}

/** The file name a URL gives, kept to safe characters; it must end in .gguf. */
export function modelFileName(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    throw inferenceErrors.error('BAD_URL', `not a URL: ${url}`);
  }
  const name = decodeURIComponent(basename(path)).replace(/[^A-Za-z0-9._-]/g, '_');
  if (!/\.gguf$/i.test(name) || name.startsWith('.')) throw inferenceErrors.error('BAD_URL', 'the URL must end in a .gguf file name');
  return name;
}

async function hashOf(path: string): Promise<ReturnType<typeof createHash>> {
  const hash = createHash('sha256');
  if (!existsSync(path)) return hash;
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** Downloads (or resumes) a model; resolves with its final path once verified. */
export async function pullModel(opts: PullOptions): Promise<string> {
  const want = opts.sha256.toLowerCase();
  if (!/^[a-f0-9]{64}$/.test(want)) throw inferenceErrors.error('BAD_SHA256', 'the SHA-256 must be 64 hexadecimal characters');
  const url = new URL(opts.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw inferenceErrors.error('BAD_URL', 'only http and https URLs are supported');
  const dir = modelsDir(opts.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = modelFileName(opts.url);
  const final = join(dir, name);
  const part = `${final}.part`;
  if (existsSync(final)) {
    if ((await hashOf(final)).digest('hex') === want) return final;
    throw inferenceErrors.error('MODEL_EXISTS', `${final} exists with another SHA-256; remove it first`);
  }

  let have = existsSync(part) ? statSync(part).size : 0;
  const res = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: opts.signal, redirect: 'follow' });
  if (res.status === 416 && have > 0) {
    // The part is already whole (or longer than the file): verify what is there.
  } else if (!res.ok || !res.body) {
    throw inferenceErrors.error('DOWNLOAD_FAILED', `the server answered HTTP ${res.status}`);
  }
  const resumed = res.status === 206;
  if (res.ok && !resumed) have = 0; // the server ignored the range: start again
  const hash = resumed ? await hashOf(part) : createHash('sha256');
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? have + length : null;
  if (res.ok) {
    const fd = openSync(part, resumed ? 'a' : 'w', 0o600);
    let received = have;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        writeSync(fd, chunk);
        hash.update(chunk);
        received += chunk.length;
        opts.onProgress?.({ received, total, resumed });
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const got = res.ok ? hash.digest('hex') : (await hashOf(part)).digest('hex');
  if (got !== want) {
    unlinkSync(part);
    throw inferenceErrors.error('SHA256_MISMATCH', `the download's SHA-256 is ${got}, not ${want}; it was deleted`);
  }
  checkGgufHeader(part);
  renameSync(part, final);
  return final;
}

export interface ModelFile {
  name: string;
  path: string;
  size_bytes: number;
  complete: boolean;
}

/** The model files in `<data>/models`, with unfinished downloads marked. */
export function listModels(dataDir: string): ModelFile[] {
  const dir = modelsDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.gguf(\.part)?$/i.test(n))
    .sort()
    .map((n) => ({ name: n.replace(/\.part$/, ''), path: join(dir, n), size_bytes: statSync(join(dir, n)).size, complete: !n.endsWith('.part') }));
}
