import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import { randomToken } from '../core/ids.js';
import type { AuditEntry } from '../audit/entry.js';
import { auditMessageId, topicsFor, type PriorityClass, type UpMessage } from './messages.js';

export interface OutboxRow {
  id: number;
  msg_id: string;
  class: PriorityClass;
  topic: string;
  payload: string;
}

export interface OutboxOptions {
  db: Db;
  /** Connection for deleting acknowledged rows; synchronous=NORMAL is enough there (a row that
   *  reappears after a power cut is sent again and dropped by id at the receiver). */
  ackDb?: Db;
  hubId: string;
  maxRows: number;
  clock: Clock;
  /** Told about each row dropped to keep the bound (for metrics and logs). */
  onDrop?: (cls: PriorityClass, count: number) => void;
}

const AUDIT_CURSOR = 'audit_enqueued_seq';
const CATCH_UP_BATCH = 2000;

/**
 * The durable upstream queue: the source of truth for what still has to reach the cloud
 * (mqtt.js's own store is in memory and forgets on restart). Rows leave only on PUBACK, or
 * by the bound's policy:
 *
 * - when `maxRows` is reached, the oldest telemetry row goes first, then the oldest event;
 * - alerts are never dropped: with only audit and alerts left, alerts still go in and the
 *   outbox grows past its bound (health says so);
 * - audit entries are never dropped either, and need no room here: the audit table is itself
 *   durable, so when the outbox is full an entry waits there and the catch-up copies it in
 *   (in seq order) as soon as there is room. A cursor (`link_state.audit_enqueued_seq`) keeps
 *   the order and also picks up entries appended by other processes (the CLI).
 */
export class Outbox {
  private readonly db: Db;
  private readonly hubId: string;
  private readonly clock: Clock;
  readonly maxRows: number;
  private readonly onDrop?: (cls: PriorityClass, count: number) => void;
  private readonly insertRow: Statement;
  private readonly deleteRow: Statement;
  private readonly deleteAcked: Statement;
  private readonly ackDb: Db;
  private readonly countAll: Statement;
  private readonly oldestOf: Statement;
  private readonly getCursor: Statement;
  private readonly setCursor: Statement;
  private readonly auditAfter: Statement;
  private readonly auditHead: Statement;
  private readonly pageAfter: Statement;
  private depthCache = 0;

  constructor(options: OutboxOptions) {
    this.db = options.db;
    this.hubId = options.hubId;
    this.clock = options.clock;
    this.maxRows = options.maxRows;
    this.onDrop = options.onDrop;
    const db = this.db;
    this.insertRow = db.prepare('INSERT OR IGNORE INTO link_outbox (msg_id, class, topic, payload, created_at) VALUES (?, ?, ?, ?, ?)');
    this.deleteRow = db.prepare('DELETE FROM link_outbox WHERE id = ?');
    this.ackDb = options.ackDb ?? db;
    this.deleteAcked = this.ackDb.prepare('DELETE FROM link_outbox WHERE id = ?');
    this.countAll = db.prepare('SELECT COUNT(*) AS n FROM link_outbox');
    this.oldestOf = db.prepare('SELECT id FROM link_outbox WHERE class = ? ORDER BY id LIMIT 1');
    this.getCursor = db.prepare('SELECT value FROM link_state WHERE key = ?');
    this.setCursor = db.prepare('INSERT INTO link_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.auditAfter = db.prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
    this.auditHead = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM audit');
    this.pageAfter = db.prepare('SELECT id, msg_id, class, topic, payload FROM link_outbox WHERE id > ? ORDER BY id LIMIT ?');
    this.refreshDepth();
  }

  /** Exact row count, re-read (other processes may have written). */
  refreshDepth(): number {
    this.depthCache = (this.countAll.get() as { n: number }).n;
    return this.depthCache;
  }

  get depth(): number {
    return this.depthCache;
  }

  /** Rows after `afterId`, oldest first. */
  page(afterId: number, limit: number): OutboxRow[] {
    return this.pageAfter.all(afterId, limit) as OutboxRow[];
  }

  /** After the broker's PUBACKs: deletes the rows in one transaction. */
  acknowledge(ids: number[]): void {
    let removed = 0;
    this.ackDb.transaction(() => {
      for (const id of ids) removed += this.deleteAcked.run(id).changes;
    })();
    this.depthCache = Math.max(0, this.depthCache - removed);
  }

  /** Queues an event, alert or telemetry sample; returns its stable id. */
  enqueue(cls: Exclude<PriorityClass, 'audit'>, type: string, data: Record<string, unknown>, msgId?: string): string {
    const id = msgId ?? `${this.hubId}:${cls}:${Date.now().toString(36)}${randomToken(8)}`;
    this.db
      .transaction(() => {
        if (!this.makeRoom(cls)) return; // only happens for telemetry/events crowded out by higher classes
        this.insert(cls, id, type, data);
      })
      .immediate();
    return id;
  }

  /**
   * The audit hook, inside the append's transaction: the entry goes in with it when it is
   * next in line and there is room; otherwise the catch-up brings it later, in order.
   */
  onAuditAppended(entry: AuditEntry): void {
    const cursor = this.cursor();
    if (cursor !== entry.seq - 1) return;
    if (!this.makeRoom('audit')) return;
    this.insertAudit(entry);
  }

  /** Copies audit entries the hook did not (other processes, a full outbox, link turned on later). */
  catchUpAudit(): number {
    return this.db
      .transaction(() => {
        const cursor = this.cursor();
        const head = (this.auditHead.get() as { seq: number }).seq;
        if (head <= cursor) return 0;
        let copied = 0;
        this.refreshDepth();
        const batch = Math.min(CATCH_UP_BATCH, head - cursor);
        const rows = this.auditAfter.all(cursor, batch) as (Omit<AuditEntry, 'data'> & { data: string })[];
        for (const row of rows) {
          if (!this.makeRoom('audit')) break; // full of audit and alerts: wait for PUBACKs
          this.insertAudit({ ...row, data: JSON.parse(row.data) as Record<string, unknown> });
          copied++;
        }
        return copied;
      })
      .immediate();
  }

  /** How many audit entries are in the trail but not yet queued (waiting for room). */
  auditBacklog(): number {
    const head = (this.auditHead.get() as { seq: number }).seq;
    return Math.max(0, head - this.cursor());
  }

  private cursor(): number {
    const row = this.getCursor.get(AUDIT_CURSOR) as { value: string } | undefined;
    if (row) return Number(row.value);
    // First time the link runs on this hub: the whole trail goes up, from seq 1.
    return 0;
  }

  private insertAudit(entry: AuditEntry): void {
    this.insert('audit', auditMessageId(this.hubId, entry.seq), 'audit.entry', entry as unknown as Record<string, unknown>, entry.at);
    this.setCursor.run(AUDIT_CURSOR, String(entry.seq));
  }

  private insert(cls: PriorityClass, id: string, type: string, data: Record<string, unknown>, at?: string): void {
    const message: UpMessage = { v: 1, id, hub_id: this.hubId, class: cls, type, at: at ?? isoTime(this.clock.now()), data };
    const created = isoTime(this.clock.now());
    if (this.insertRow.run(id, cls, topicsFor(this.hubId).upEvents, JSON.stringify(message), created).changes > 0) this.depthCache++;
  }

  /**
   * Frees one row for a message of class `cls` when the outbox is at its bound. False when
   * nothing lower may go (the caller then defers an audit entry, or drops telemetry/an event).
   * Alerts always go in.
   */
  private makeRoom(cls: PriorityClass): boolean {
    if (this.depthCache < this.maxRows) return true;
    if (this.refreshDepth() < this.maxRows) return true;
    const victims: PriorityClass[] = cls === 'telemetry' ? ['telemetry'] : cls === 'event' ? ['telemetry', 'event'] : ['telemetry', 'event'];
    for (const victim of victims) {
      const row = this.oldestOf.get(victim) as { id: number } | undefined;
      if (!row) continue;
      this.deleteRow.run(row.id);
      this.depthCache--;
      this.onDrop?.(victim, 1);
      return true;
    }
    if (cls === 'alert') return true; // never dropped: the outbox grows past its bound
    if (cls !== 'audit') this.onDrop?.(cls, 1); // the new telemetry/event itself is dropped
    return false;
  }
}
