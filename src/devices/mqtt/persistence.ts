import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { Db } from '../../store/database.js';
import type { Logger } from '../../core/logger.js';
import { OutgoingQueue, type DropReason } from './outgoing-queue.js';

/** The shape of aedes-persistence's in-memory (async) implementation that we extend. */
interface Packet {
  cmd?: string;
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain?: boolean;
  [key: string]: unknown;
}
interface Sub {
  topic: string;
  qos: 0 | 1 | 2;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
}
interface ClientRef {
  id: string;
}
interface MemoryPersistence {
  setup(broker: unknown): Promise<void>;
  storeRetained(packet: Packet): Promise<void>;
  createRetainedStream(pattern: string): Readable;
  addSubscriptions(client: ClientRef, subs: Sub[]): Promise<void>;
  removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
  cleanSubscriptions(client: ClientRef): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packet): Promise<void>;
  outgoingUpdate(client: ClientRef, packet: Packet): Promise<void>;
  outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined>;
  outgoingStream(client: ClientRef): Readable;
  destroy(): Promise<void>;
}
type MemoryPersistenceClass = new (opts?: Record<string, unknown>) => MemoryPersistence;

// aedes-persistence is CommonJS; pinned in package.json to the version aedes itself uses.
const Memory = createRequire(import.meta.url)('aedes-persistence/asyncPersistence.js') as MemoryPersistenceClass;

export interface PersistenceLimits {
  /** Most retained topics kept; a new one beyond this is published but not retained. */
  maxRetained: number;
  /** Largest retained payload written to disk. */
  maxRetainedBytes: number;
  /** All retained payloads together (memory and disk); a new or larger one beyond this is not retained. */
  maxRetainedTotalBytes?: number;
  /** Most QoS 1/2 messages kept for one persistent session (oldest dropped first). */
  maxQueuedPerClient: number;
  /** All queued messages of every session together, in bytes as stored (oldest dropped first). */
  maxQueuedTotalBytes?: number;
  /**
   * Most persistent sessions (client ids with stored subscriptions). MQTT 3.1.1 sessions never
   * expire, so a client that connects with clean=false under a fresh id each time would leave
   * one behind per connect, for good. Beyond this a new session's SUBSCRIBE is refused.
   */
  maxSessions?: number;
}

/**
 * aedes' in-memory persistence, with retained messages and persistent-session subscriptions also
 * written to SQLite and loaded back on start, so they survive a hub restart. Matching and
 * delivery stay in memory (the fast path); SQLite is only written when they change. The QoS 1/2
 * messages queued for persistent sessions live in SQLite only (outgoing-queue.ts): they can be
 * large, and are read back a page at a time when their session reconnects.
 */
export class SqlitePersistence extends Memory {
  private loaded = false;
  /** Exact-topic lookup of retained payloads (same Buffers as the matcher's store). */
  private readonly byTopic = new Map<string, Buffer>();
  private retainedBytes = 0;
  private readonly retainedQos = new Map<string, number>();
  private readonly sessions = new Set<string>();
  private readonly queue: OutgoingQueue;
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly limits: PersistenceLimits,
    onDrop?: (reason: DropReason, count: number) => void,
  ) {
    super();
    this.queue = new OutgoingQueue(
      db,
      log,
      { maxPerClient: limits.maxQueuedPerClient, maxTotalBytes: limits.maxQueuedTotalBytes ?? Number.POSITIVE_INFINITY },
      onDrop,
    );
  }

  /** Bytes of all queued messages (as stored). */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    if (this.loaded) return;
    this.loaded = true;
    const retained = this.db.prepare('SELECT topic, payload, qos FROM mqtt_retained').all() as { topic: string; payload: Buffer; qos: 0 | 1 | 2 }[];
    for (const r of retained) {
      await super.storeRetained({ cmd: 'publish', topic: r.topic, payload: r.payload, qos: r.qos, retain: true, dup: false });
      this.byTopic.set(r.topic, r.payload);
      this.retainedQos.set(r.topic, r.qos);
      this.retainedBytes += r.topic.length + r.payload.length;
    }
    const subs = this.db.prepare('SELECT client_id, topic, qos, rh, rap, nl FROM mqtt_subscriptions ORDER BY client_id').all() as {
      client_id: string;
      topic: string;
      qos: 0 | 1 | 2;
      rh: number;
      rap: number;
      nl: number;
    }[];
    const byClient = new Map<string, Sub[]>();
    for (const s of subs) {
      const list = byClient.get(s.client_id) ?? [];
      list.push({ topic: s.topic, qos: s.qos, rh: s.rh, rap: s.rap === 1, nl: s.nl === 1 });
      byClient.set(s.client_id, list);
    }
    for (const [id, list] of byClient) {
      await super.addSubscriptions({ id }, list);
      this.sessions.add(id);
    }
    const queued = this.queue.load();
    this.log.debug({ retained: retained.length, sessions: byClient.size, queued: queued.messages, queued_bytes: queued.bytes }, 'broker state loaded');
  }

  override async storeRetained(packet: Packet): Promise<void> {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (payload.length === 0) {
      await super.storeRetained(packet);
      const old = this.byTopic.get(packet.topic);
      if (old) this.retainedBytes -= packet.topic.length + old.length;
      this.byTopic.delete(packet.topic);
      this.retainedQos.delete(packet.topic);
      this.db.prepare('DELETE FROM mqtt_retained WHERE topic = ?').run(packet.topic);
      return;
    }
    const exists = this.byTopic.has(packet.topic);
    if (!exists && this.byTopic.size >= this.limits.maxRetained) {
      this.log.warn(
        { topic: packet.topic, clientId: packet.clientId ?? null, limit: this.limits.maxRetained },
        'retained message refused: too many retained topics',
      );
      return;
    }
    if (payload.length > this.limits.maxRetainedBytes) {
      this.log.warn({ topic: packet.topic, clientId: packet.clientId ?? null, bytes: payload.length }, 'retained message refused: payload too large to retain');
      return;
    }
    const old = this.byTopic.get(packet.topic);
    if (old && old.equals(payload) && this.retainedQos.get(packet.topic) === (packet.qos ?? 0)) {
      // Devices republish the same retained configs and states (on every homeassistant/status
      // online, on every reconnect): keep memory as aedes wants it, but spare the SD card a write.
      await super.storeRetained(packet);
      return;
    }
    const growth = payload.length - (old ? old.length : -packet.topic.length);
    const total = this.limits.maxRetainedTotalBytes ?? Number.POSITIVE_INFINITY;
    if (growth > 0 && this.retainedBytes + growth > total) {
      this.log.warn(
        { topic: packet.topic, clientId: packet.clientId ?? null, limit_bytes: total },
        'retained message refused: retained messages already take all the room allowed',
      );
      return;
    }
    await super.storeRetained(packet);
    this.retainedBytes += growth;
    this.db
      .prepare(
        'INSERT INTO mqtt_retained (topic, payload, qos, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, updated_at = excluded.updated_at',
      )
      .run(packet.topic, payload, packet.qos ?? 0, new Date().toISOString());
    this.byTopic.set(packet.topic, payload);
    this.retainedQos.set(packet.topic, packet.qos ?? 0);
  }

  /** The retained payload of one exact topic. */
  retainedPayload(topic: string): Buffer | undefined {
    return this.byTopic.get(topic);
  }

  override async addSubscriptions(client: ClientRef, subs: Sub[]): Promise<void> {
    const max = this.limits.maxSessions ?? Number.POSITIVE_INFINITY;
    if (!this.sessions.has(client.id) && this.sessions.size >= max) {
      this.log.warn(
        { clientId: client.id, limit: max },
        'mqtt persistent session refused: too many stored sessions (connect with clean session, or reuse a client id)',
      );
      throw new Error('too many persistent sessions');
    }
    await super.addSubscriptions(client, subs);
    this.sessions.add(client.id);
    const insert = this.db.prepare(
      'INSERT INTO mqtt_subscriptions (client_id, topic, qos, rh, rap, nl) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(client_id, topic) DO UPDATE SET qos = excluded.qos, rh = excluded.rh, rap = excluded.rap, nl = excluded.nl',
    );
    this.db.transaction(() => {
      for (const s of subs) insert.run(client.id, s.topic, s.qos, s.rh ?? 0, s.rap ? 1 : 0, s.nl ? 1 : 0);
    })();
  }

  override async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    await super.removeSubscriptions(client, topics);
    const del = this.db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ? AND topic = ?');
    this.db.transaction(() => {
      for (const t of topics) del.run(client.id, t);
    })();
    if (!this.db.prepare('SELECT 1 FROM mqtt_subscriptions WHERE client_id = ? LIMIT 1').get(client.id)) this.sessions.delete(client.id);
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void> {
    this.queue.enqueue([sub.clientId], packet);
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packet): Promise<void> {
    if (subs.length)
      this.queue.enqueue(
        subs.map((s) => s.clientId),
        packet,
      );
  }

  override async outgoingUpdate(client: ClientRef, packet: Packet): Promise<void> {
    this.queue.update(client.id, packet);
  }

  override async outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined> {
    return this.queue.clear(client.id, packet.messageId) as Packet | undefined;
  }

  override outgoingStream(client: ClientRef): Readable {
    return this.queue.stream(client.id);
  }

  override async cleanSubscriptions(client: ClientRef): Promise<void> {
    await super.cleanSubscriptions(client);
    this.sessions.delete(client.id);
    this.db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ?').run(client.id);
    this.queue.clean(client.id);
  }

  /** Retained messages under a pattern, from memory (already loaded from SQLite). */
  async retained(pattern: string): Promise<Packet[]> {
    const out: Packet[] = [];
    for await (const p of this.createRetainedStream(pattern)) out.push(p as Packet);
    return out;
  }
}
