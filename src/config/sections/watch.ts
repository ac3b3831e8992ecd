import { z } from 'zod';

export const watchSection = z
  .strictObject({
    interval_s: z.number().int().min(5).max(3600).default(60).describe('How often the hub checks itself (disk, memory, temperature, database, event loop).'),
    disk_free_mb: z.number().int().min(1).default(512).describe('Below this many MiB free on the data disk, the owners are warned.'),
    disk_critical_mb: z
      .number()
      .int()
      .min(1)
      .default(128)
      .describe(
        'Below this many MiB free, the hub trims its history and telemetry and stops keeping new history until there is room; the audit trail is never trimmed.',
      ),
    memory_pct: z.number().min(10).max(100).default(90).describe('Memory in use (of the whole box) above which the owners are warned.'),
    temperature_c: z
      .number()
      .min(30)
      .max(120)
      .default(80)
      .describe('CPU temperature above which the owners are warned (a Raspberry Pi slows itself down from 80 °C).'),
    database_mb: z.number().int().min(1).default(2048).describe('Database file size above which the owners are warned.'),
    wal_mb: z
      .number()
      .int()
      .min(1)
      .default(256)
      .describe('Write-ahead log size above which the owners are warned (a WAL that keeps growing means checkpoints are stuck).'),
    event_loop_ms: z.number().int().min(10).default(500).describe('Event-loop delay (99th percentile over one check) above which the owners are warned.'),
  })
  .describe("The hub's watch over itself: each threshold crossed is a health state and an alert to the owners, closed when it recovers.");
