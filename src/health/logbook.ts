import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import { requireRole } from '../core/guard.js';
import type Database from 'better-sqlite3';
import { scrubSecrets, secretValues } from '../config/scrub.js';

/** pino's numeric levels, from warn up: only these are kept. */
const LEVELS = { warn: 40, error: 50, fatal: 60 } as const;
const LEVEL_NAMES: Record<number, 'warn' | 'error' | 'fatal'> = { 40: 'warn', 50: 'error', 60: 'fatal' };
/** A flood (a device misbehaving every millisecond) must not become a flood of writes. */
const MAX_PER_MINUTE = 300;
const MAX_LINE = 4096;

export const logEntrySchema = z.object({
  id: z.number(),
  at: z.string(),
  level: z.enum(['warn', 'error', 'fatal']),
  part: z.string().nullable(),
  msg: z.string(),
  details: z.string().describe('the whole log line as JSON, secrets already redacted by the logger'),
});
export const logPageSchema = z.object({ entries: z.array(logEntrySchema), next_before: z.number().nullable(), dropped: z.number() });
type LogEntry = z.infer<typeof logEntrySchema>;

export const logQuerySchema = z.strictObject({
  level: z.enum(['warn', 'error']).default('warn').describe('the lowest level shown'),
  part: z.string().max(64).optional(),
  q: z.string().max(200).optional().describe('words the message or details contain'),
  before: z.coerce.number().int().positive().optional().describe('the `next_before` of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const logbookMigration = {
  version: 2,
  name: 'log book of warnings and errors',
  up: `CREATE TABLE log_entries (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, level INTEGER NOT NULL, part TEXT, msg TEXT NOT NULL, line TEXT NOT NULL);
       CREATE INDEX log_entries_at ON log_entries (at);`,
};

/**
 * Keeps the hub's warnings and errors in a bounded table on the telemetry connection, so a
 * homeowner or a support engineer can read what went wrong last week without a terminal. The
 * lines come from the logger, so secrets are already redacted; a week or `retention.log_rows`,
 * whichever is smaller, and at most 300 a minute (the rest are counted, not kept).
 */
export class LogBook implements Service {
  readonly name = 'logbook';
  readonly optional = true;
  private stopReading?: () => void;
  private windowStart = 0;
  private inWindow = 0;
  private droppedTotal = 0;
  private sincePrune = 0;
  private writing = false;

  constructor(private readonly ctx: HubContext) {}

  start(): void {
    this.stopReading = this.ctx.recentLogs?.onLine((line) => this.take(line));
    this.prune();
  }

  stop(): void {
    this.stopReading?.();
    this.stopReading = undefined;
  }

  health() {
    return { status: 'ok' as const, detail: this.droppedTotal ? `${this.droppedTotal} log lines not kept during floods` : 'keeping warnings and errors' };
  }

  private take(line: string): void {
    // Cheap test before parsing: most lines are info.
    if (this.writing || !/"level":(4|5|6)0[,}]/.test(line)) return;
    let parsed: { level?: number; time?: number; part?: unknown; msg?: unknown };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return;
    }
    const level = parsed.level ?? 0;
    if (level < LEVELS.warn) return;
    const now = this.ctx.clock.now();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow > MAX_PER_MINUTE) {
      this.droppedTotal++;
      return;
    }
    const db = this.ctx.store.telemetry;
    if (!db.open || this.ctx.store.essentialOnly) return;
    this.writing = true; // a failing insert that logs must not come back here
    try {
      db.prepare('INSERT INTO log_entries (at, level, part, msg, line) VALUES (?, ?, ?, ?, ?)').run(
        now,
        level,
        typeof parsed.part === 'string' ? parsed.part.slice(0, 64) : null,
        typeof parsed.msg === 'string' ? parsed.msg.slice(0, 500) : '',
        line.slice(0, MAX_LINE),
      );
      if (++this.sincePrune >= 500) this.prune();
    } catch {
      /* the disk may be full: the log book is the first thing to give way */
    } finally {
      this.writing = false;
    }
  }

  /** Drops entries past their days, then the oldest past the row cap. */
  prune(): void {
    this.sincePrune = 0;
    const db = this.ctx.store.telemetry;
    if (!db.open) return;
    const { log_days, log_rows } = this.ctx.settings.get().retention;
    db.prepare('DELETE FROM log_entries WHERE at < ?').run(this.ctx.clock.now() - log_days * 86_400_000);
    db.prepare('DELETE FROM log_entries WHERE id <= (SELECT id FROM log_entries ORDER BY id DESC LIMIT 1 OFFSET ?)').run(log_rows);
  }

  list(query: z.infer<typeof logQuerySchema>): z.infer<typeof logPageSchema> {
    return { ...queryLogBook(this.ctx.store.telemetry, query), dropped: this.droppedTotal };
  }
}

/** One page of the log book, newest first (the table is read wherever it is: the hub, support diagnostics). */
export function queryLogBook(db: Database.Database, query: z.infer<typeof logQuerySchema>): { entries: LogEntry[]; next_before: number | null } {
  const where = ['level >= ?'];
  const args: unknown[] = [LEVELS[query.level]];
  if (query.part) {
    where.push('part = ?');
    args.push(query.part);
  }
  if (query.q) {
    where.push("(msg LIKE ? ESCAPE '\\' OR line LIKE ? ESCAPE '\\')");
    const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    args.push(like, like);
  }
  if (query.before) {
    where.push('id < ?');
    args.push(query.before);
  }
  const rows = db
    .prepare(`SELECT id, at, level, part, msg, line FROM log_entries WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
    .all(...args, query.limit + 1) as { id: number; at: number; level: number; part: string | null; msg: string; line: string }[];
  const page = rows.slice(0, query.limit);
  const entries: LogEntry[] = page.map((r) => ({
    id: r.id,
    at: new Date(r.at).toISOString(),
    level: LEVEL_NAMES[r.level] ?? 'fatal',
    part: r.part,
    msg: r.msg,
    details: r.line,
  }));
  return { entries, next_before: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
}

/** What support diagnostics may ask of the log book. */
export const supportLogQuerySchema = logQuerySchema.pick({ level: true, part: true, q: true }).partial();
/** Support diagnostics carry at most this much of the log book (the link's RPC answers stay small). */
export const SUPPORT_LOG_BYTES = 64 * 1024;

/**
 * The log book as support diagnostics send it: filtered, newest first, each line scrubbed again
 * (the logger redacts secret keys, but a token quoted inside a message text is only caught
 * here: the secret settings' values and anything shaped like a token), and cut to `maxBytes`.
 */
export function logsForSupport(
  ctx: Pick<HubContext, 'store' | 'settings'>,
  filter: z.infer<typeof supportLogQuerySchema> = {},
  maxBytes = SUPPORT_LOG_BYTES,
): { entries: LogEntry[]; truncated: boolean } {
  if (!ctx.store.telemetry.open) return { entries: [], truncated: false };
  const { entries } = queryLogBook(ctx.store.telemetry, { level: filter.level ?? 'warn', part: filter.part, q: filter.q, limit: 500 });
  const secrets = secretValues(ctx.settings.get());
  const out: LogEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const clean = { ...e, msg: scrubSecrets(e.msg, secrets, { pins: false }), details: scrubSecrets(e.details, secrets, { pins: false }) };
    bytes += Buffer.byteLength(JSON.stringify(clean));
    if (bytes > maxBytes) return { entries: out, truncated: true };
    out.push(clean);
  }
  return { entries: out, truncated: entries.length === 500 };
}

/** GET /api/v1/health/logs: the owner's view of the log book, newest first. */
export function logbookRoutes(book: LogBook): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/health/logs',
      {
        preHandler: requireRole('owner'),
        schema: {
          tags: ['system'],
          summary: 'Warnings and errors of the last week, newest first, secrets redacted',
          querystring: logQuerySchema,
          response: { 200: logPageSchema },
        },
      },
      async (req) => book.list(req.query),
    );
  };
}
