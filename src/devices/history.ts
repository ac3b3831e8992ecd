import type { Statement } from 'better-sqlite3';
import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import { isoTime } from '../core/clock.js';
import type { Entity } from './model.js';

export interface HistoryRow {
  state: string;
  attributes: Record<string, unknown>;
  available: boolean;
  at: string;
}

/**
 * Rows are written at most FLUSH_MS after they arrive, and as soon as FLUSH_ROWS are waiting (in
 * the next turn of the event loop, so one burst is one transaction). A flush blocks the event loop
 * for ~10 µs a row: 250 rows at once (the old quarter-second batch at 1,000 messages/s) was a
 * 2–3.5 ms stall every 250 ms, the p99 of device state → screen in a CPU profile.
 */
const FLUSH_MS = 50;
const FLUSH_ROWS = 64;
/** Rows waiting for the next flush; beyond this the oldest are dropped (and counted). */
const MAX_PENDING = 5_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/**
 * Retention counts rows, so a row's size must be bounded too: an entity with large attributes
 * (a weather forecast, a media player, a chatty device's JSON) changing every few seconds would
 * otherwise fill the SD card with up to state_history_rows copies of them.
 */
const MAX_ATTRIBUTES_BYTES = 16 * 1024;

/**
 * Entity state history on the store's telemetry connection (synchronous=NORMAL). Writes are
 * batched into one transaction every 50 ms or 64 rows, so a burst of device messages costs one
 * fsync-free commit instead of one per message, and no single commit holds the event loop long.
 */
export class StateHistory implements Service {
  readonly name = 'devices.history';
  private pending: [string, string, string, number, string][] = [];
  private dropped = 0;
  private flushTimer?: NodeJS.Timeout;
  private flushSoon?: NodeJS.Immediate;
  private pruneTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private readonly insert: Statement;
  private readonly trim: Statement;
  private readonly log;

  constructor(private readonly ctx: HubContext) {
    this.log = ctx.log.child({ part: 'devices.history' });
    this.insert = ctx.store.telemetry.prepare('INSERT INTO state_history (entity_id, state, attributes, available, at) VALUES (?, ?, ?, ?, ?)');
    this.trim = ctx.store.telemetry.prepare('DELETE FROM state_history WHERE id <= ?');
  }

  start(): void {
    this.unsubscribe = this.ctx.bus.on('entity.state_changed', ({ entity }) => this.record(entity));
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    this.flush();
  }

  record(entity: Entity): void {
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.dropped++;
    }
    let attributes: string;
    try {
      attributes = JSON.stringify(entity.attributes);
    } catch {
      attributes = '{"_omitted":"attributes could not be serialized"}';
    }
    if (attributes.length > MAX_ATTRIBUTES_BYTES)
      attributes = JSON.stringify({ _omitted: `attributes of ${attributes.length} characters, over the history limit` });
    this.pending.push([entity.id, entity.state, attributes, entity.available ? 1 : 0, entity.last_updated]);
    if (this.pending.length >= FLUSH_ROWS && !this.flushSoon) {
      this.flushSoon = setImmediate(() => this.flush());
      this.flushSoon.unref();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.flushSoon) clearImmediate(this.flushSoon);
    this.flushTimer = this.flushSoon = undefined;
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const db = this.ctx.store.telemetry;
    if (!db.open || this.ctx.store.essentialOnly) return; // the disk is nearly full: history waits
    try {
      db.transaction(() => {
        let last = 0;
        for (const r of rows) last = Number(this.insert.run(...r).lastInsertRowid);
        // The row cap is kept at every flush (ids only grow), so that between hourly prunes a busy
        // home's history cannot grow past it: 200 messages/s would be 720,000 rows an hour.
        this.trim.run(last - this.ctx.settings.get().retention.state_history_rows);
      })();
    } catch (err) {
      this.log.warn({ err: (err as Error).message, rows: rows.length }, 'state history write failed; rows dropped');
    }
    if (this.dropped > 0) {
      this.log.warn({ dropped: this.dropped }, 'state history fell behind; oldest pending rows dropped');
      this.dropped = 0;
    }
  }

  /** Newest first. */
  list(entityId: string, options: { since?: string; limit?: number } = {}): HistoryRow[] {
    this.flush();
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const rows = this.ctx.store.telemetry
      .prepare(
        `SELECT state, attributes, available, at FROM state_history WHERE entity_id = ? ${options.since ? 'AND at >= ?' : ''} ORDER BY id DESC LIMIT ${limit}`,
      )
      .all(...(options.since ? [entityId, options.since] : [entityId])) as { state: string; attributes: string; available: number; at: string }[];
    return rows.map((r) => ({ state: r.state, attributes: JSON.parse(r.attributes) as Record<string, unknown>, available: r.available === 1, at: r.at }));
  }

  /** Drops rows older than retention.state_history_days and beyond retention.state_history_rows. */
  prune(): { byAge: number; byCount: number } {
    const db = this.ctx.store.telemetry;
    if (!db.open) return { byAge: 0, byCount: 0 };
    const { state_history_days: days, state_history_rows: maxRows } = this.ctx.settings.get().retention;
    try {
      const cutoff = isoTime(this.ctx.clock.now() - days * 86_400_000);
      const byAge = db.prepare('DELETE FROM state_history WHERE at < ?').run(cutoff).changes;
      const byCount = db.prepare('DELETE FROM state_history WHERE id <= (SELECT id FROM state_history ORDER BY id DESC LIMIT 1 OFFSET ?)').run(maxRows).changes;
      if (byAge + byCount > 0) this.log.info({ byAge, byCount }, 'state history pruned');
      return { byAge, byCount };
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'state history prune failed');
      return { byAge: 0, byCount: 0 };
    }
  }
}
