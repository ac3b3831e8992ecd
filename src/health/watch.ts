import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { HubContext } from '../part/context.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import { freeBytes } from '../store/database.js';

const MiB = 1024 * 1024;
type Reading = ComponentHealth;
const ok = (detail: string): Reading => ({ status: 'ok', detail });
const warn = (detail: string): Reading => ({ status: 'degraded', detail });

/** One watched thing, as a health component of its own (so each has its own alert). */
class Watched implements Service {
  readonly optional = true;
  reading: Reading = { status: 'starting', detail: 'not checked yet' };
  constructor(readonly name: string) {}
  start(): void {}
  stop(): void {}
  health(): ComponentHealth {
    return this.reading;
  }
}

/**
 * The hub watching itself on a small box where nobody reads logs: free disk, memory, CPU
 * temperature and throttling, database and WAL size, event-loop delay. Each is a health
 * component; a crossing turns it `degraded` with a plain sentence, and the notification
 * router's health alerts tell the owners and close the alert when it recovers. On a nearly
 * full disk the hub trims what can be lost and stops writing it (`store.essentialOnly`).
 */
export class SelfWatch implements Service {
  readonly name = 'self-watch';
  readonly optional = true;
  readonly disk = new Watched('disk-space');
  readonly memory = new Watched('memory');
  readonly temperature = new Watched('temperature');
  readonly database = new Watched('database-size');
  readonly eventLoop = new Watched('event-loop');
  private timer?: NodeJS.Timeout;
  private loop?: IntervalHistogram;
  private throttled?: string;

  constructor(
    private readonly ctx: HubContext,
    /** Where the CPU's thermal zones are; a test points it at its own files. */
    private readonly thermalDir = '/sys/class/thermal',
  ) {}

  /** The components, for the hub's service list (this service first, so it starts first). */
  services(): Service[] {
    return [this, this.disk, this.memory, this.temperature, this.database, this.eventLoop];
  }

  start(): void {
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
    this.check();
    this.timer = setInterval(() => this.check(), this.ctx.settings.get().watch.interval_s * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.loop?.disable();
  }

  health(): ComponentHealth {
    return ok(`checks every ${this.ctx.settings.get().watch.interval_s} s`);
  }

  /** One round of checks; public so a test can run it without waiting. */
  check(): void {
    const w = this.ctx.settings.get().watch;
    this.disk.reading = this.checkDisk(w.disk_free_mb, w.disk_critical_mb);
    const usedPct = Math.round((1 - freemem() / totalmem()) * 1000) / 10;
    this.memory.reading =
      usedPct > w.memory_pct ? warn(`The box is using ${usedPct}% of its memory (warning above ${w.memory_pct}%).`) : ok(`${usedPct}% of memory in use`);
    this.temperature.reading = this.checkTemperature(w.temperature_c);
    this.database.reading = this.checkDatabase(w.database_mb, w.wal_mb);
    if (this.loop) {
      const p99 = Math.round(this.loop.percentile(99) / 1e5) / 10;
      this.loop.reset();
      this.eventLoop.reading =
        p99 > w.event_loop_ms
          ? warn(`The hub is slow to respond: its event loop waited up to ${p99} ms (warning above ${w.event_loop_ms} ms).`)
          : ok(`event-loop delay p99 ${p99} ms`);
    }
    this.readThrottling();
  }

  private checkDisk(warnMb: number, criticalMb: number): Reading {
    const free = freeBytes(this.ctx.dataDir);
    if (free === undefined) return { status: 'disabled', detail: 'the free space of the data disk cannot be read here' };
    const mb = Math.floor(free / MiB);
    const store = this.ctx.store;
    if (mb < criticalMb) {
      const first = !store.essentialOnly;
      store.essentialOnly = true;
      if (first) this.trim(mb);
      return warn(
        `Only ${mb} MiB free on the data disk. Hearth has trimmed its history and stopped keeping new history until there is room; the audit trail is kept.`,
      );
    }
    if (store.essentialOnly && mb >= criticalMb * 1.25) {
      // A margin above the line, so the hub does not flap between writing and not.
      store.essentialOnly = false;
      this.ctx.log.info({ free_mib: mb }, 'disk space recovered: keeping history again');
    }
    if (store.essentialOnly) return warn(`Only ${mb} MiB free on the data disk; history stays off until ${Math.ceil(criticalMb * 1.25)} MiB are free.`);
    if (mb < warnMb) return warn(`Only ${mb} MiB free on the data disk (warning below ${warnMb} MiB). Free some space before it fills up.`);
    return ok(`${mb} MiB free on the data disk`);
  }

  /** What can be lost goes first: state history, telemetry samples, the log book. Never the trail. */
  private trim(freeMb: number): void {
    const db = this.ctx.store.telemetry;
    if (!db.open) return;
    const removed: Record<string, number> = {};
    for (const table of ['state_history', 'telemetry_samples', 'log_entries']) {
      try {
        removed[table] = db.prepare(`DELETE FROM ${table}`).run().changes;
      } catch {
        /* a table a part did not create (a part switched off) */
      }
    }
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      /* busy: the next checkpoint will do */
    }
    this.ctx.log.warn({ free_mib: freeMb, removed }, 'data disk nearly full: history and telemetry trimmed, new history paused');
    this.ctx.audit.append({ actor: 'system', origin: 'system', kind: 'hub.disk_low', data: { free_mib: freeMb, removed } });
  }

  private checkTemperature(limit: number): Reading {
    const celsius = this.cpuTemperature();
    const throttled = this.throttled ? ` ${this.throttled}` : '';
    if (celsius === undefined) return this.throttled ? warn(this.throttled) : { status: 'disabled', detail: 'this box does not report a CPU temperature' };
    if (celsius > limit) return warn(`The CPU is at ${celsius} °C (warning above ${limit} °C). Give the box some air.${throttled}`);
    return this.throttled ? warn(`${celsius} °C.${throttled}`) : ok(`CPU at ${celsius} °C`);
  }

  /** The hottest thermal zone (`/sys/class/thermal/thermal_zone*\/temp`, millidegrees). */
  private cpuTemperature(): number | undefined {
    let hottest: number | undefined;
    try {
      for (const zone of readdirSync(this.thermalDir)) {
        if (!zone.startsWith('thermal_zone')) continue;
        const milli = Number(readFileSync(join(this.thermalDir, zone, 'temp'), 'utf8').trim());
        if (Number.isFinite(milli) && milli > -50_000) hottest = Math.max(hottest ?? -Infinity, Math.round(milli / 100) / 10);
      }
    } catch {
      return undefined;
    }
    return hottest;
  }

  /** A Raspberry Pi says whether it is throttling now (`vcgencmd get_throttled`, bits 0–3). */
  private readThrottling(): void {
    if (!existsSync('/usr/bin/vcgencmd')) return;
    execFile('/usr/bin/vcgencmd', ['get_throttled'], { timeout: 2000 }, (err, stdout) => {
      if (err) return;
      const bits = Number.parseInt(/throttled=(0x[0-9a-f]+)/i.exec(stdout)?.[1] ?? '0', 16);
      const now: string[] = [];
      if (bits & 0x1) now.push('the power supply is too weak');
      if (bits & 0x2) now.push('the CPU speed is capped');
      if (bits & 0x4) now.push('the CPU is throttled');
      if (bits & 0x8) now.push('it is at its temperature limit');
      this.throttled = now.length ? `The Raspberry Pi reports that ${now.join(', ')}.` : undefined;
    });
  }

  private checkDatabase(dbLimitMb: number, walLimitMb: number): Reading {
    const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
    const dbMb = Math.round(size(this.ctx.store.path) / MiB);
    const walMb = Math.round(size(`${this.ctx.store.path}-wal`) / MiB);
    if (dbMb > dbLimitMb)
      return warn(
        `The database has grown to ${dbMb} MiB (warning above ${dbLimitMb} MiB). Shorten the history kept (retention) or export and archive the audit trail.`,
      );
    if (walMb > walLimitMb)
      return warn(`The database's write-ahead log is ${walMb} MiB (warning above ${walLimitMb} MiB): something is holding a long read open.`);
    return ok(`database ${dbMb} MiB, WAL ${walMb} MiB`);
  }
}
