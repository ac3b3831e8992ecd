import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeTinyGguf } from '../../src/inference/tiny-gguf.js';
import { listModels, pullModel } from '../../src/inference/model-files.js';
import { tempDir } from '../helpers/hub.js';

/** `hearth model pull` against a real HTTP server on loopback that honours Range and can cut a download short. */
const dirs: string[] = [];
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(file: Buffer, opts: { cutAfter?: () => number | undefined } = {}) {
  const ranges: (string | undefined)[] = [];
  server = createServer((req, res) => {
    ranges.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const body = file.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${file.length - 1}/${file.length}` } : {}),
    });
    const cut = opts.cutAfter?.();
    if (cut !== undefined) {
      res.write(body.subarray(0, cut), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/models/tiny-q8.gguf`, ranges };
}

function model(): { bytes: Buffer; sha: string } {
  const d = tempDir('hearth-model-src-');
  dirs.push(d);
  writeTinyGguf(join(d, 'm.gguf'));
  const bytes = readFileSync(join(d, 'm.gguf'));
  return { bytes, sha: createHash('sha256').update(bytes).digest('hex') };
}

describe('hearth model pull', () => {
  it('resumes a cut download with a Range request, verifies the SHA-256 and lists the file', async () => {
    const { bytes, sha } = model();
    let first = true;
    const { url, ranges } = await serve(bytes, { cutAfter: () => (first ? ((first = false), 100_000) : undefined) });
    const dataDir = tempDir('hearth-data-');
    dirs.push(dataDir);
    await expect(pullModel({ url, sha256: sha, dataDir })).rejects.toThrow();
    expect(listModels(dataDir)).toEqual([expect.objectContaining({ name: 'tiny-q8.gguf', complete: false })]);
    const progress: number[] = [];
    const path = await pullModel({ url, sha256: sha, dataDir, onProgress: (p) => progress.push(p.received) });
    expect(ranges).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(Number(/\d+/.exec(ranges[1]!)![0])).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(listModels(dataDir)).toEqual([{ name: 'tiny-q8.gguf', path, size_bytes: bytes.length, complete: true }]);
  });

  it('deletes a download whose SHA-256 does not match, and refuses a bad hash or URL before fetching', async () => {
    const { bytes } = model();
    const { url, ranges } = await serve(bytes);
    const dataDir = tempDir('hearth-data-');
    dirs.push(dataDir);
    await expect(pullModel({ url, sha256: 'a'.repeat(64), dataDir })).rejects.toMatchObject({ code: 'SHA256_MISMATCH' });
    expect(existsSync(join(dataDir, 'models', 'tiny-q8.gguf'))).toBe(false);
    expect(existsSync(join(dataDir, 'models', 'tiny-q8.gguf.part'))).toBe(false);
    await expect(pullModel({ url, sha256: 'xyz', dataDir })).rejects.toMatchObject({ code: 'BAD_SHA256' });
    await expect(pullModel({ url: url.replace('.gguf', '.bin'), sha256: 'a'.repeat(64), dataDir })).rejects.toMatchObject({ code: 'BAD_URL' });
    expect(ranges.length).toBe(1);
  });
});
