import { cpus, freemem, totalmem } from 'node:os';
import { readFile, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The box's own figures from the kernel, read without child processes: a sample must not hold the
 * event loop (a library that runs `df` and friends synchronously stalled device messages for
 * 50–130 ms every minute, and its import compiled a large module on the first sample).
 */

/** Bytes of memory available to new work (Linux `MemAvailable`, which is what libuv reports). */
export function availableMemory(): number {
  return freemem();
}

/** Percent of memory in use. */
export function memoryPercent(): number {
  const total = totalmem();
  return total > 0 ? ((total - freemem()) / total) * 100 : 0;
}

/** CPU time counters summed over every core, for `cpuPercent`. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Percent of CPU busy between two readings (null when no time passed). */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number | null {
  const total = after.total - before.total;
  return total > 0 ? ((after.busy - before.busy) / total) * 100 : null;
}

/** Percent of the file system holding `path` in use, as `df` counts it (blocks reserved for root excluded). */
export async function diskPercent(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    const used = s.blocks - s.bfree;
    const usable = used + s.bavail;
    return usable > 0 ? (used / usable) * 100 : null;
  } catch {
    return null;
  }
}

/** The warmest thermal zone in °C (the SoC on a Raspberry Pi), or null where there is none. */
export async function cpuTemperature(root = '/sys/class/thermal'): Promise<number | null> {
  let zones: string[];
  try {
    zones = (await readdir(root)).filter((z) => z.startsWith('thermal_zone'));
  } catch {
    return null;
  }
  const readings = await Promise.all(
    zones.map(async (z) => {
      const milli = Number((await readFile(join(root, z, 'temp'), 'utf8').catch(() => '')).trim());
      return Number.isFinite(milli) && milli !== 0 ? milli / 1000 : null;
    }),
  );
  const found = readings.filter((r): r is number => r !== null);
  return found.length ? Math.max(...found) : null;
}
