import { Readable } from 'node:stream';
import type { Db } from '../../store/database.js';
import type { Logger } from '../../core/logger.js';

/** A queued packet as aedes hands it over (a PUBLISH, or the PUBREL that replaces it for QoS 2). */
export interface QueuedPacket {
  cmd?: string;
  topic?: string;
  payload?: Buffer | string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  brokerId?: unknown;
  brokerCounter?: unknown;
  messageId?: unknown;
  [key: string]: unknown;
}

export interface QueueLimits {
  /** Most messages kept for one persistent session. */
  maxPerClient: number;
  /** All queued messages together, in bytes as stored. */
  maxTotalBytes: number;
}

export type DropReason = 'session_full' | 'total_bytes';

/** Rows read per step when a session's queue is streamed out. */
const PAGE = 32;
const DROP_LOG_EVERY_MS = 60_000;

/**
 * The QoS 1/2 messages queued for persistent sessions, kept in SQLite only: nothing is loaded at
 * start, and a session's queue is read a page at a time when it reconnects. Bounded per session
 * (count) and in total (bytes); past either bound the oldest messages are dropped first, and
 * `onDrop` counts them (the metric).
 */
export class OutgoingQueue {
  private total = 0;
  private lastDropLog = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly limits: QueueLimits,
    private readonly onDrop: (reason: DropReason, count: number) => void = () => {},
  ) {}

  /** Reads the total size (not the rows) and applies the bound, which may have been lowered. */
  load(): { messages: number; bytes: number } {
    const row = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM mqtt_outgoing').get() as { n: number; b: number };
    this.total = row.b;
    this.db.transaction(() => this.trimTotal())();
    return { messages: row.n, bytes: this.total };
  }

  /** Bytes queued now (what the table holds). */
  get bytes(): number {
    return this.total;
  }

  enqueue(clientIds: string[], packet: QueuedPacket): void {
    const encoded = encodePacket(packet);
    const bytes = Buffer.byteLength(encoded);
    const insert = this.db.prepare('INSERT INTO mqtt_outgoing (client_id, broker_id, broker_counter, packet, bytes) VALUES (?, ?, ?, ?, ?)');
    const trimSession = this.db.prepare(
      'DELETE FROM mqtt_outgoing WHERE id IN (SELECT id FROM mqtt_outgoing WHERE client_id = ? ORDER BY id DESC LIMIT -1 OFFSET ?) RETURNING bytes',
    );
    this.db.transaction(() => {
      for (const id of clientIds) {
        insert.run(id, String(packet.brokerId ?? ''), Number(packet.brokerCounter ?? 0), encoded, bytes);
        this.total += bytes;
        const dropped = trimSession.all(id, this.limits.maxPerClient) as { bytes: number }[];
        if (dropped.length) this.dropped('session_full', dropped, { clientId: id, limit: this.limits.maxPerClient });
      }
      this.trimTotal();
    })();
  }

  /**
   * Records the packet id aedes gave a queued message (or replaces a QoS 2 message by its PUBREL).
   * A message already dropped is not an error: the client still gets it, it is only not kept.
   */
  update(clientId: string, packet: QueuedPacket): void {
    if (packet.brokerId !== undefined) {
      this.db
        .prepare('UPDATE mqtt_outgoing SET message_id = ? WHERE client_id = ? AND broker_id = ? AND broker_counter = ?')
        .run(packet.messageId ?? null, clientId, String(packet.brokerId), Number(packet.brokerCounter ?? 0));
      return;
    }
    const row = this.db
      .prepare('SELECT id, bytes FROM mqtt_outgoing WHERE client_id = ? AND message_id = ? ORDER BY id LIMIT 1')
      .get(clientId, packet.messageId ?? null) as { id: number; bytes: number } | undefined;
    if (!row) return;
    const encoded = encodePacket(packet);
    const bytes = Buffer.byteLength(encoded);
    this.db.prepare('UPDATE mqtt_outgoing SET packet = ?, bytes = ? WHERE id = ?').run(encoded, bytes, row.id);
    this.total += bytes - row.bytes;
  }

  /** Removes the message with this packet id (acknowledged); returns it, or undefined. */
  clear(clientId: string, messageId: unknown): QueuedPacket | undefined {
    const row = this.db
      .prepare('SELECT id, packet, message_id, bytes FROM mqtt_outgoing WHERE client_id = ? AND message_id = ? ORDER BY id LIMIT 1')
      .get(clientId, messageId ?? null) as Row | undefined;
    if (!row) return undefined;
    this.db.prepare('DELETE FROM mqtt_outgoing WHERE id = ?').run(row.id);
    this.total -= row.bytes;
    return decodeRow(row);
  }

  /** Forgets a session's queue (it connected with clean session). */
  clean(clientId: string): void {
    const rows = this.db.prepare('DELETE FROM mqtt_outgoing WHERE client_id = ? RETURNING bytes').all(clientId) as { bytes: number }[];
    for (const r of rows) this.total -= r.bytes;
  }

  /** The session's queue as it is now, oldest first, read lazily a page at a time. */
  stream(clientId: string): Readable {
    const last = (this.db.prepare('SELECT MAX(id) AS id FROM mqtt_outgoing WHERE client_id = ?').get(clientId) as { id: number | null }).id ?? 0;
    const page = this.db.prepare('SELECT id, packet, message_id, bytes FROM mqtt_outgoing WHERE client_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?');
    let after = 0;
    return new Readable({
      objectMode: true,
      highWaterMark: PAGE,
      read() {
        const rows = page.all(clientId, after, last, PAGE) as Row[];
        if (rows.length === 0) return void this.push(null);
        after = rows[rows.length - 1]!.id;
        for (const r of rows) this.push(decodeRow(r));
      },
    });
  }

  /** Drops the oldest messages, of any session, until the total is within the bound (none more). */
  private trimTotal(): void {
    if (this.total <= this.limits.maxTotalBytes) return;
    const oldest = this.db.prepare('SELECT id, bytes FROM mqtt_outgoing ORDER BY id LIMIT 64');
    const del = this.db.prepare('DELETE FROM mqtt_outgoing WHERE id = ?');
    while (this.total > this.limits.maxTotalBytes) {
      const rows = oldest.all() as { id: number; bytes: number }[];
      if (rows.length === 0) {
        this.total = 0;
        return;
      }
      const gone: { bytes: number }[] = [];
      let over = this.total - this.limits.maxTotalBytes;
      for (const r of rows) {
        if (over <= 0) break;
        del.run(r.id);
        gone.push(r);
        over -= r.bytes;
      }
      this.dropped('total_bytes', gone, { limit_bytes: this.limits.maxTotalBytes });
    }
  }

  private dropped(reason: DropReason, rows: { bytes: number }[], details: Record<string, unknown>): void {
    for (const r of rows) this.total -= r.bytes;
    this.onDrop(reason, rows.length);
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_EVERY_MS) return;
    this.lastDropLog = now;
    const text =
      reason === 'session_full'
        ? 'mqtt session queue full: its oldest messages are dropped'
        : 'mqtt offline queues over mqtt.max_queued_bytes: the oldest queued messages are dropped';
    this.log.warn({ reason, dropped: rows.length, ...details }, text);
  }
}

interface Row {
  id: number;
  packet: string;
  message_id: number | null;
  bytes: number;
}

function encodePacket(p: QueuedPacket): string {
  const payload = p.payload === undefined ? undefined : (typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload).toString('base64');
  return JSON.stringify({
    cmd: p.cmd ?? 'publish',
    topic: p.topic,
    payload,
    qos: p.qos,
    retain: Boolean(p.retain),
    brokerId: p.brokerId,
    brokerCounter: p.brokerCounter,
    messageId: p.messageId,
  });
}

function decodeRow(row: Row): QueuedPacket {
  const o = JSON.parse(row.packet) as QueuedPacket & { payload?: string };
  const packet: QueuedPacket = { ...o, payload: o.payload === undefined ? undefined : Buffer.from(o.payload, 'base64'), dup: false };
  if (packet.payload === undefined) delete packet.payload;
  if (row.message_id !== null) packet.messageId = row.message_id;
  return packet;
}
