import { readFile, readdir, statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';

// Readings of the machine for the telemetry sampler and the local model's memory check, taken
// without starting a process: only asynchronous file reads (/proc, /sys, statfs) and os.* calls
// that read /proc in microseconds. systeminformation, used here before, ran `cat /proc/stat |
// grep cpu`, `cat /proc/mounts` and a temperature script through execSync: each sample blocked the
// event loop for 10–70 ms while /bin/sh started, the stall that made the device path's p99
// (docs/performance.md, issue 15).

type CpuTimes = { idle: number; total: number };

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** CPU use in percent (all cores) since the previous call; the first call covers the time since boot. */
export class CpuLoad {
  private last: CpuTimes = { idle: 0, total: 0 };

  percent(): number | null {
    const now = cpuTimes();
    const total = now.total - this.last.total;
    const idle = now.idle - this.last.idle;
    this.last = now;
    return total > 0 ? Math.min(100, Math.max(0, (1 - idle / total) * 100)) : null;
  }
}

/** Bytes of memory available to new work (Linux MemAvailable: free plus reclaimable cache); os.freemem() elsewhere. */
export async function availableMemory(): Promise<number> {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return freemem();
}

/** Memory in use, percent of the total. */
export async function memoryPercent(): Promise<number | null> {
  const total = totalmem();
  return total > 0 ? ((total - (await availableMemory())) / total) * 100 : null;
}

/** Use of the file system holding `path`, in percent, as `df` reports it (used / (used + available to users)). */
export async function diskPercent(path: string): Promise<number | null> {
  const s = await statfs(path);
  const used = s.blocks - s.bfree;
  return used + s.bavail > 0 ? (used / (used + s.bavail)) * 100 : null;
}

const CPU_ZONES = /cpu|soc|x86_pkg|k10temp|coretemp/i;

/** CPU temperature in °C from /sys/class/thermal (the CPU's zone when one is named so, else the first); null where none is reported. */
export async function cpuTemperature(dir = '/sys/class/thermal'): Promise<number | null> {
  let zones: string[];
  try {
    zones = (await readdir(dir)).filter((z) => z.startsWith('thermal_zone')).sort();
  } catch {
    return null;
  }
  const read = async (zone: string, file: string) => (await readFile(join(dir, zone, file), 'utf8')).trim();
  let first: number | null = null;
  for (const zone of zones) {
    try {
      const milli = Number(await read(zone, 'temp'));
      if (!Number.isFinite(milli) || milli <= 0) continue;
      if (CPU_ZONES.test(await read(zone, 'type').catch(() => ''))) return milli / 1000;
      first ??= milli / 1000;
    } catch {
      /* a zone that cannot be read (disabled sensor): try the next */
    }
  }
  return first;
}
