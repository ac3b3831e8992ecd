import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';

let hubs: TestHub[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of hubs.reverse()) await h.stop();
  hubs = [];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const modeOf = (file: string) => statSync(file).mode & 0o777;
const files = (dir: string) => ['hearth.db', 'hearth.db-wal', 'hearth.db-shm'].map((f) => join(dir, f));

describe('database file modes', () => {
  it('creates hearth.db and its WAL and SHM 0600 in a data directory that already existed', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const t = await startTestHub({ dataDir: dir, settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    for (const f of files(dir)) {
      expect(existsSync(f), f).toBe(true);
      expect(modeOf(f).toString(8), f).toBe('600');
    }
  });

  it('tightens an existing database left 0644 when it opens it', async () => {
    const dir = tempDir();
    dirs.push(dir);
    await (await startTestHub({ dataDir: dir, settings: { mqtt: { port: 0 } } })).stop();
    for (const f of files(dir)) if (existsSync(f)) chmodSync(f, 0o644);
    const t = await startTestHub({ dataDir: dir, settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    for (const f of files(dir)) if (existsSync(f)) expect(modeOf(f).toString(8), f).toBe('600');
    expect(modeOf(join(dir, 'hearth.db')).toString(8)).toBe('600');
  });
});
