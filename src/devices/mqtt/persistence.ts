import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { Db } from '../../store/database.js';
import type { Logger } from '../../core/logger.js';

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
  /** Most QoS 1/2 messages kept on disk for one offline persistent session. */
  maxQueuedPerClient: number;
  /**
   * Most persistent sessions (client ids with stored subscriptions). MQTT 3.1.1 sessions never
   * expire, so a client that connects with clean=false under a fresh id each time would leave
   * one behind per connect, for good. Beyond this a new session's SUBSCRIBE is refused.
   */
  maxSessions?: number;
}

/**
 * aedes' in-memory persistence, with retained messages, persistent-session subscriptions and
 * the QoS 1/2 messages queued for offline sessions also written to SQLite and loaded back on
 * start, so they survive a hub restart. Matching and
 * delivery stay in memory (the fast path); SQLite is only written when they change.
 */
export class SqlitePersistence extends Memory {
  private loaded = false;
  /** Exact-topic lookup of retained payloads (same Buffers as the matcher's store). */
  private readonly byTopic = new Map<string, Buffer>();
  private retainedBytes = 0;
  private readonly retainedQos = new Map<string, number>();
  private readonly sessions = new Set<string>();
  /**
   * Messages queued in memory per persistent session. aedes' in-memory queue has no bound: a
   * session that subscribed once with QoS 1 and never came back would collect every matching
   * message for as long as the hub runs. At maxQueuedPerClient new messages are dropped, as
   * Mosquitto's max_queued_messages does (memory and disk then hold the same messages).
   */
  private readonly queuedCount = new Map<string, number>();
  private readonly warnedFull = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly limits: PersistenceLimits,
  ) {
    super();
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
    const queued = this.db.prepare('SELECT client_id, packet FROM mqtt_outgoing ORDER BY id').all() as { client_id: string; packet: string }[];
    for (const q of queued) {
      await super.outgoingEnqueue({ clientId: q.client_id }, decodePacket(q.packet));
      this.queuedCount.set(q.client_id, (this.queuedCount.get(q.client_id) ?? 0) + 1);
    }
    this.log.debug({ retained: retained.length, sessions: byClient.size, queued: queued.length }, 'broker state loaded');
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
      this.log.warn({ topic: packet.topic, clientId: packet.clientId ?? null, limit: this.limits.maxRetained }, 'retained message refused: too many retained topics');
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
      this.log.warn({ topic: packet.topic, clientId: packet.clientId ?? null, limit_bytes: total }, 'retained message refused: retained messages already take all the room allowed');
      return;
    }
    await super.storeRetained(packet);
    this.retainedBytes += growth;
    this.db
      .prepare('INSERT INTO mqtt_retained (topic, payload, qos, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, updated_at = excluded.updated_at')
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
      this.log.warn({ clientId: client.id, limit: max }, 'mqtt persistent session refused: too many stored sessions (connect with clean session, or reuse a client id)');
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
    if (!this.makeRoom(sub.clientId, packet)) return;
    await super.outgoingEnqueue(sub, packet);
    this.storeQueued([sub.clientId], packet);
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packet): Promise<void> {
    const room = subs.filter((s) => this.makeRoom(s.clientId, packet));
    if (room.length === 0) return;
    await super.outgoingEnqueueCombi(room, packet);
    this.storeQueued(room.map((s) => s.clientId), packet);
  }

  /** Counts one more queued message for the session; false (and one log line) when it is full. */
  private makeRoom(clientId: string, packet: Packet): boolean {
    const n = this.queuedCount.get(clientId) ?? 0;
    if (n >= this.limits.maxQueuedPerClient) {
      if (!this.warnedFull.has(clientId) && this.warnedFull.size < 1000) {
        this.warnedFull.add(clientId);
        this.log.warn({ clientId, topic: packet.topic, limit: this.limits.maxQueuedPerClient }, 'mqtt session queue full: new messages for this offline session are dropped');
      }
      return false;
    }
    this.queuedCount.set(clientId, n + 1);
    return true;
  }

  private dequeued(clientId: string): void {
    const n = (this.queuedCount.get(clientId) ?? 1) - 1;
    if (n > 0) this.queuedCount.set(clientId, n);
    else {
      this.queuedCount.delete(clientId);
      this.warnedFull.delete(clientId);
    }
  }

  override async outgoingUpdate(client: ClientRef, packet: Packet): Promise<void> {
    await super.outgoingUpdate(client, packet);
    this.db
      .prepare('UPDATE mqtt_outgoing SET message_id = ? WHERE client_id = ? AND broker_id = ? AND broker_counter = ?')
      .run(packet.messageId ?? null, client.id, String(packet.brokerId ?? ''), Number(packet.brokerCounter ?? 0));
  }

  override async outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined> {
    const removed = await super.outgoingClearMessageId(client, packet);
    if (removed) {
      this.dequeued(client.id);
      this.db
        .prepare('DELETE FROM mqtt_outgoing WHERE client_id = ? AND broker_id = ? AND broker_counter = ?')
        .run(client.id, String(removed.brokerId ?? ''), Number(removed.brokerCounter ?? 0));
    }
    return removed;
  }

  override async cleanSubscriptions(client: ClientRef): Promise<void> {
    await super.cleanSubscriptions(client);
    this.sessions.delete(client.id);
    this.db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ?').run(client.id);
    this.db.prepare('DELETE FROM mqtt_outgoing WHERE client_id = ?').run(client.id);
  }

  /** Mirrors a queued message to disk, keeping at most maxQueuedPerClient per session (oldest dropped). */
  private storeQueued(clientIds: string[], packet: Packet): void {
    const insert = this.db.prepare('INSERT INTO mqtt_outgoing (client_id, broker_id, broker_counter, packet) VALUES (?, ?, ?, ?)');
    const trim = this.db.prepare(
      'DELETE FROM mqtt_outgoing WHERE client_id = ? AND id <= (SELECT id FROM mqtt_outgoing WHERE client_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
    );
    const encoded = encodePacket(packet);
    this.db.transaction(() => {
      for (const id of clientIds) {
        insert.run(id, String(packet.brokerId ?? ''), Number(packet.brokerCounter ?? 0), encoded);
        trim.run(id, id, this.limits.maxQueuedPerClient);
      }
    })();
  }

  /** Retained messages under a pattern, from memory (already loaded from SQLite). */
  async retained(pattern: string): Promise<Packet[]> {
    const out: Packet[] = [];
    for await (const p of this.createRetainedStream(pattern)) out.push(p as Packet);
    return out;
  }
}

function encodePacket(p: Packet): string {
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
  return JSON.stringify({ cmd: p.cmd ?? 'publish', topic: p.topic, payload: payload.toString('base64'), qos: p.qos, retain: Boolean(p.retain), brokerId: p.brokerId, brokerCounter: p.brokerCounter });
}

function decodePacket(text: string): Packet {
  const o = JSON.parse(text) as { topic: string; qos: 0 | 1 | 2; payload: string; [key: string]: unknown };
  return { ...o, payload: Buffer.from(o.payload, 'base64'), dup: false };
}
