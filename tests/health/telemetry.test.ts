import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import type { TelemetrySampler } from '../../src/health/history.js';

// Issue 15: the once-a-minute telemetry sample ran `cat /proc/stat | grep cpu`, `cat /proc/mounts`
// and a temperature script through execSync (systeminformation), each a stall of the event loop
// that every device message arriving meanwhile waited behind. A sample now starts no process
// (src/core/system.ts; its readers' own tests are tests/core/system.test.ts).

// The module object CommonJS libraries get from require('child_process'): spied before the hub
// (and anything it loads on first use) takes its functions.
const childProcess = createRequire(import.meta.url)('node:child_process') as Record<string, (...args: unknown[]) => unknown>;
const SPAWNERS = ['execSync', 'execFileSync', 'spawnSync', 'exec', 'execFile', 'spawn', 'fork'] as const;

describe('telemetry sampling', () => {
  let t: TestHub;
  const spawned: string[] = [];

  beforeAll(async () => {
    for (const name of SPAWNERS) {
      const real = childProcess[name]!;
      vi.spyOn(childProcess, name).mockImplementation((...args: unknown[]) => {
        spawned.push(`${name} ${String(args[0])}`);
        return real(...args);
      });
    }
    t = await startTestHub();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t?.stop();
  });

  it('takes a sample without starting a process, and its figures agree with the machine', async () => {
    const sampler = t.hub.services.get<TelemetrySampler>('telemetry')!;
    spawned.length = 0;
    await sampler.sample();
    await new Promise((r) => setTimeout(r, 100)); // a CPU interval long enough to measure
    await sampler.sample();
    expect(spawned).toEqual([]);

    const [s] = sampler.history(1).samples.slice(-1);
    expect(s).toBeDefined();
    expect(s!.cpu_pct).toBeGreaterThanOrEqual(0);
    expect(s!.cpu_pct).toBeLessThanOrEqual(100);
    expect(s!.mem_pct).toBeGreaterThan(0);
    expect(s!.mem_pct).toBeLessThanOrEqual(100);
    if (s!.temp_c !== null) expect(s!.temp_c).toBeGreaterThan(-40);
    // The disk figure is the one `df` shows for the data directory (Use%, rounded up by df).
    const df = execFileSync('df', ['-P', t.dataDir], { encoding: 'utf8' }).trim().split('\n').pop()!;
    const dfUse = Number(/(\d+)%/.exec(df)![1]);
    expect(Math.abs(s!.disk_pct! - dfUse)).toBeLessThanOrEqual(1);
    expect(sampler.health().detail).toMatch(/^last sample/);
  });
});
