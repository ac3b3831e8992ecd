import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLock } from '../../src/store/lock.js';
import { tempDir } from '../helpers/hub.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('data directory lock', () => {
  it('takes over a lock whose pid now belongs to an unrelated process (pids reused after a power cut)', () => {
    const dir = tempDir();
    dirs.push(dir);
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(other);
    writeFileSync(join(dir, 'hearth.lock'), `${other.pid}\n`);
    const lock = new DataDirLock(dir);
    lock.acquire();
    expect(readFileSync(join(dir, 'hearth.lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('still refuses while the pid is a live Node process', () => {
    const dir = tempDir();
    dirs.push(dir);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    children.push(other);
    writeFileSync(join(dir, 'hearth.lock'), `${other.pid}\n`);
    expect(() => new DataDirLock(dir).acquire()).toThrow(/already running/);
  });
});
