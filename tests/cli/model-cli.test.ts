import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeTinyGguf } from '../../src/inference/tiny-gguf.js';
import { tempDir } from '../helpers/hub.js';
import { runCli, SLOW_TEST_MS } from './slow.js';

/** `hearth model pull|list` as its own process (the bundle), against a file server on loopback. */
describe('hearth model', { timeout: SLOW_TEST_MS }, () => {
  const dirs: string[] = [];
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('pulls a model with its SHA-256, lists it, and refuses a wrong hash with a plain message', async () => {
    const src = tempDir('hearth-model-src-');
    const data = tempDir('hearth-model-data-');
    dirs.push(src, data);
    writeTinyGguf(join(src, 'tiny.gguf'));
    const bytes = readFileSync(join(src, 'tiny.gguf'));
    const sha = createHash('sha256').update(bytes).digest('hex');
    server = createServer((_req, res) => res.writeHead(200, { 'content-length': bytes.length }).end(bytes));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/tiny.gguf`;

    const wrong = await runCli(['model', 'pull', url, '--sha256', 'b'.repeat(64), '--data', data]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/SHA-256 is [0-9a-f]{64}, not b{64}; it was deleted/);

    const ok = await runCli(['model', 'pull', url, '--sha256', sha, '--data', data]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`model verified and saved to ${join(data, 'models', 'tiny.gguf')}`);
    expect(ok.stderr).toMatch(/100%/);

    const list = await runCli(['model', 'list', '--data', data]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^tiny\.gguf {2}0\.\d MiB\n$/);
  });
});
