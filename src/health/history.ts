import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import type { PartTables } from '../store/database.js';
import { requireSignedIn } from '../core/guard.js';
import { cpuPercent, cpuTemperature, cpuTimes, diskPercent, memoryPercent, type CpuTimes } from '../core/system.js';
import { LogBook, logbookMigration, logbookRoutes } from './logbook.js';
import { SelfWatch } from './watch.js';

export const sampleSchema = z.object({
  at: z.string(),
  cpu_pct: z.number().nullable(),
  mem_pct: z.number().nullable(),
  disk_pct: z.number().nullable().describe('use of the disk that holds the data directory'),
  temp_c: z.number().nullable().describe('CPU temperature; null where the machine does not report one'),
});
export const healthHistorySchema = z.object({ interval_s: z.number(), samples: z.array(sampleSchema) });
export type HealthHistory = z.infer<typeof healthHistorySchema>;
type Sample = z.infer<typeof sampleSchema>;

export const healthTables: PartTables = {
  part: 'health',
  migrations: [
    {
      version: 1,
      name: 'system telemetry samples',
      up: `CREATE TABLE telemetry_samples (at TEXT PRIMARY KEY, cpu_pct REAL, mem_pct REAL, disk_pct REAL, temp_c REAL);`,
    },
    logbookMigration,
  ],
};

const round = (n: number | undefined | null): number | null => (typeof n === 'number' && Number.isFinite(n) ? Math.round(n * 10) / 10 : null);

/**
 * Samples CPU, memory, disk and temperature once a minute into the telemetry connection
 * (synchronous=NORMAL: a lost minute on power loss does not matter) and prunes samples older
 * than retention.telemetry_days.
 */
export class TelemetrySampler implements Service {
  readonly name = 'telemetry';
  readonly optional = true;
  private timer?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;
  private last = 'no sample yet';
  /** CPU counters at start-up or the last sample: each sample is the CPU use since then. */
  private cpuBefore: CpuTimes = cpuTimes();

  constructor(
    private readonly ctx: HubContext,
    readonly intervalMs = 60_000,
  ) {}

  start(): void {
    // The first sample waits a little: start-up should not compete with `df` and friends.
    this.first = setTimeout(() => void this.sample(), Math.min(5_000, this.intervalMs));
    this.first.unref();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.first);
    clearInterval(this.timer);
  }

  health() {
    return { status: 'ok' as const, detail: this.last };
  }

  async sample(): Promise<void> {
    try {
      const times = cpuTimes();
      const [disk, temp] = await Promise.all([diskPercent(this.ctx.dataDir), cpuTemperature()]);
      const s: Sample = {
        at: new Date(this.ctx.clock.now()).toISOString(),
        cpu_pct: round(cpuPercent(this.cpuBefore, times)),
        mem_pct: round(memoryPercent()),
        disk_pct: round(disk),
        temp_c: round(temp),
      };
      this.cpuBefore = times;
      const db = this.ctx.store.telemetry;
      if (!db.open || this.ctx.store.essentialOnly) return;
      db.prepare('INSERT OR REPLACE INTO telemetry_samples (at, cpu_pct, mem_pct, disk_pct, temp_c) VALUES (@at, @cpu_pct, @mem_pct, @disk_pct, @temp_c)').run(
        s,
      );
      const keepDays = this.ctx.settings.get().retention.telemetry_days;
      db.prepare('DELETE FROM telemetry_samples WHERE at < ?').run(new Date(this.ctx.clock.now() - keepDays * 86_400_000).toISOString());
      this.last = `last sample ${s.at}: CPU ${s.cpu_pct}%, memory ${s.mem_pct}%, disk ${s.disk_pct}%${s.temp_c === null ? '' : `, ${s.temp_c} °C`}`;
    } catch (err) {
      this.last = `sampling failed: ${(err as Error).message}`;
      this.ctx.log.warn({ err }, 'telemetry sample failed');
    }
  }

  history(hours: number): HealthHistory {
    const since = new Date(this.ctx.clock.now() - hours * 3_600_000).toISOString();
    const samples = this.ctx.store.telemetry
      .prepare('SELECT at, cpu_pct, mem_pct, disk_pct, temp_c FROM telemetry_samples WHERE at >= ? ORDER BY at')
      .all(since) as Sample[];
    return { interval_s: this.intervalMs / 1000, samples };
  }
}

/** GET /api/v1/health/history: the samples of the last `hours` (default a day). */
export function healthHistoryRoutes(sampler: TelemetrySampler): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/health/history',
      {
        preHandler: requireSignedIn,
        schema: {
          tags: ['system'],
          summary: 'CPU, memory, disk and temperature, one sample a minute',
          querystring: z.strictObject({
            hours: z.coerce
              .number()
              .min(1)
              .max(24 * 30)
              .default(24),
          }),
          response: { 200: healthHistorySchema },
        },
      },
      async (req) => sampler.history(req.query.hours),
    );
  };
}

export function createHealthPart(ctx: HubContext) {
  const sampler = new TelemetrySampler(ctx);
  const logbook = new LogBook(ctx);
  const watch = new SelfWatch(ctx);
  const history = healthHistoryRoutes(sampler);
  const logs = logbookRoutes(logbook);
  return {
    name: 'health',
    services: [sampler, logbook, ...watch.services()],
    routes: (async (app) => {
      await app.register(history);
      await app.register(logs);
    }) as FastifyPluginAsync,
  };
}
