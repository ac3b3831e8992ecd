import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { availableMemory, cpuPercent, cpuTemperature, cpuTimes, diskPercent, memoryPercent } from '../../src/core/system.js';
import { tempDir } from '../helpers/hub.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("the box's own figures, read from the kernel", () => {
  it('memory, disk and CPU are percentages a person can read', async () => {
    expect(availableMemory()).toBeGreaterThan(0);
    const mem = memoryPercent();
    expect(mem).toBeGreaterThan(0);
    expect(mem).toBeLessThanOrEqual(100);
    const disk = await diskPercent(tmpdir());
    expect(disk).not.toBeNull();
    expect(disk!).toBeGreaterThanOrEqual(0);
    expect(disk!).toBeLessThanOrEqual(100);
    expect(await diskPercent('/no/such/place')).toBeNull();
    const before = cpuTimes();
    for (let end = Date.now() + 50; Date.now() < end;); // some CPU time passes
    const pct = cpuPercent(before, cpuTimes());
    expect(pct).not.toBeNull();
    expect(pct!).toBeGreaterThan(0);
    expect(pct!).toBeLessThanOrEqual(100);
    expect(cpuPercent(before, before)).toBeNull();
  });

  it('the temperature is the warmest thermal zone in °C, or nothing where the box has none', async () => {
    dir = tempDir();
    for (const [zone, milli] of [
      ['thermal_zone0', '48312'],
      ['thermal_zone1', '61500\n'],
      ['cooling_device0', '3'],
    ] as const) {
      mkdirSync(join(dir, zone));
      writeFileSync(join(dir, zone, 'temp'), milli);
    }
    mkdirSync(join(dir, 'thermal_zone2')); // a zone without a reading
    expect(await cpuTemperature(dir)).toBe(61.5);
    expect(await cpuTemperature(join(dir, 'missing'))).toBeNull();
  });
});
