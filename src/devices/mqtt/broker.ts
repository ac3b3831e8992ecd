import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Counter, Gauge } from 'prom-client';
import { Aedes, type AedesPublishPacket, type Client, type ConnectPacket, type PublishPacket, type Subscription } from 'aedes';
import type { HubContext } from '../../part/context.js';
import type { Service, ComponentHealth } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import { RateLimiter } from '../../core/rate-limit.js';
import type { DeviceCredentials } from '../credentials.js';
import { PacketGuard, type Refusal } from './packet-guard.js';
import { SqlitePersistence } from './persistence.js';
import { devicePublishProblem } from './topic-rules.js';

export interface BrokerMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** The publishing client's id; null for the hub's own in-process publishes. */
  clientId: string | null;
}
export type MessageHandler = (message: BrokerMessage) => void;

const SOURCE_FACTOR = 4;
/** Topic filters one client may hold; each costs memory in aedes (and SQLite for a persistent session). */
const MAX_SUBSCRIPTIONS_PER_CLIENT = 1000;
const RECENT_MS = 5_000;
const RECENT_MAX = 500;
/** aedes and its topic matcher cannot go deeper than this. */
const AEDES_MAX_LEVELS = 100;

const REFUSAL_TEXT: Record<Refusal['reason'], string> = {
  packet_too_large: 'mqtt packet refused: larger than mqtt.max_packet_bytes; client disconnected before it was buffered',
  malformed_length: 'mqtt packet refused: malformed remaining length; client disconnected',
  too_many_topic_levels: 'mqtt publish refused: topic has more levels than mqtt.max_topic_levels; client disconnected',
  invalid_utf8_topic: 'mqtt publish refused: topic is not valid UTF-8; client disconnected',
  malformed_packet: 'mqtt packet refused: malformed (see rule); client disconnected',
  unacceptable_protocol_level: 'mqtt connection refused: protocol level not supported (CONNACK 0x01); use MQTT 3.1.1',
};

/** Marks a CONNECT to be answered with this CONNACK code (by `authenticate`, which aedes lets answer). */
function refuseAtConnect(client: Client, code: number, text: string): void {
  (client as Client & { hearthRefusal?: { code: number; text: string } }).hearthRefusal = { code, text };
}

function authError(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

/**
 * The embedded LAN broker (aedes, MQTT 3.1.1). Devices authenticate with per-device
 * credentials; the hub itself talks to aedes in process (publish/subscribe without a socket or
 * a password). Limits are enforced before aedes does any work for a packet where possible.
 */
export class LanBroker implements Service {
  readonly name = 'mqtt.broker';
  private aedes?: Aedes;
  private persistence?: SqlitePersistence;
  private server?: Server;
  private tlsServer?: TlsServer;
  private readonly sockets = new Set<Socket>();
  private readonly limiter: RateLimiter;
  /**
   * Per login and address (see sourceKey), SOURCE_FACTOR times the per-client limits: several
   * clients on one host (Zigbee2MQTT and a dashboard) share it without being starved, while a
   * client that reconnects under a fresh client id after each refusal is still held to a rate.
   */
  private readonly sourceLimiter: RateLimiter;
  /**
   * Failed logins per address. Each check costs a scrypt (on libuv's four threads, which DNS
   * lookups and file I/O share): past a burst, an address that keeps failing is refused at once.
   */
  /** Failed logins per address, on the hub's clock (a test's manual clock holds time still). */
  private readonly authFailures: RateLimiter;
  private readonly log: Logger;
  private readonly handlers = new Set<{ pattern: string; deliver: (packet: AedesPublishPacket, cb: () => void) => void }>();
  /**
   * The last few non-retained payloads by topic. aedes handles the packets of one read
   * concurrently, so a retained discovery config can be overtaken by the state message sent
   * right after it (Zigbee2MQTT does exactly that); discovery replays the recent state when
   * it subscribes. Bounded by count and age.
   */
  private readonly recent = new Map<string, { payload: Buffer; at: number }>();
  /** The topic filters each connected client holds (granted here, removed on UNSUBSCRIBE). */
  private readonly filters = new WeakMap<Client, Set<string>>();
  /** The clients signed in with each device login, from a successful check until their socket closes. */
  private readonly byUser = new Map<string, Set<Client>>();
  /** Queued messages dropped (oldest first) to keep a session's count or the total bytes bounded. */
  private readonly queueDrops: Counter<'reason'>;
  private boundPort = 0;
  private boundTlsPort = 0;
  private started = false;

  constructor(
    private readonly ctx: HubContext,
    private readonly credentials: DeviceCredentials,
  ) {
    this.log = ctx.log.child({ part: 'mqtt' });
    this.authFailures = new RateLimiter({ burst: 20, perSecond: 0.2, maxKeys: 1000, now: () => ctx.clock.now() });
    const s = ctx.settings.get().mqtt;
    this.limiter = new RateLimiter({ burst: s.message_burst, perSecond: s.messages_per_second, maxKeys: Math.max(1000, s.max_connections * 4) });
    this.queueDrops = new Counter({
      name: 'hearth_mqtt_queued_messages_dropped_total',
      help: 'Messages queued for persistent MQTT sessions dropped, oldest first, by bound (session_full, total_bytes)',
      labelNames: ['reason'] as const,
      registers: [ctx.metrics],
    });
    const queuedBytes = () => this.persistence?.queuedBytes ?? 0;
    new Gauge({
      name: 'hearth_mqtt_queued_bytes',
      help: 'Bytes of messages queued for persistent MQTT sessions (bounded by mqtt.max_queued_bytes)',
      registers: [ctx.metrics],
      collect() {
        this.set(queuedBytes());
      },
    });
    this.sourceLimiter = new RateLimiter({
      burst: s.message_burst * SOURCE_FACTOR,
      perSecond: s.messages_per_second * SOURCE_FACTOR,
      maxKeys: Math.max(1000, s.max_connections * 4),
    });
  }

  /** The port the plain listener bound (differs from mqtt.port when that was 0). */
  get port(): number {
    return this.boundPort;
  }

  get tlsPort(): number | undefined {
    return this.boundTlsPort || undefined;
  }

  get clientCount(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  /** Open sockets, counted against mqtt.max_connections (a client may not have said CONNECT yet). */
  get connectionCount(): number {
    return this.sockets.size;
  }

  async start(): Promise<void> {
    const s = this.ctx.settings.get().mqtt;
    this.persistence = new SqlitePersistence(
      this.ctx.store.telemetry,
      this.log,
      {
        maxRetained: 20_000,
        maxRetainedBytes: Math.min(s.max_packet_bytes, 256 * 1024),
        maxRetainedTotalBytes: 64 * 1024 * 1024,
        maxQueuedPerClient: 1000,
        maxQueuedTotalBytes: s.max_queued_bytes,
        maxSessions: Math.max(1000, s.max_connections * 5),
      },
      (reason, count) => this.queueDrops.inc({ reason }, count),
    );
    const aedes = new Aedes({
      persistence: this.persistence,
      maxTopicLevels: Math.min(s.max_topic_levels, AEDES_MAX_LEVELS),
      maxClientsIdLength: 128,
      connectTimeout: 10_000,
      preConnect: (client, packet, done) => {
        const problem = this.checkConnect(client, packet);
        done(problem ? new Error(problem) : null, !problem);
      },
      authenticate: (client, username, password, done) => void this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => done(this.authorizePublish(client, packet)),
      authorizeSubscribe: (client, sub, done) => done(null, this.authorizeSubscribe(client, sub)),
      authorizeForward: (_client, packet) => (packet.topic.startsWith('hearth/') ? null : packet),
      published: (packet, client, done) => {
        if (client && !packet.retain) this.remember(packet.topic, toBuffer(packet.payload));
        done();
      },
    });
    this.aedes = aedes;
    await aedes.listen();
    aedes.on('clientError', (client, err) => this.log.info({ clientId: client?.id ?? null, err: err.message }, 'mqtt client error; connection closed'));
    aedes.on('connectionError', (_client, err) => this.log.info({ err: err.message }, 'mqtt connection error before CONNECT'));
    aedes.on('clientDisconnect', (client) => this.log.debug({ clientId: client.id }, 'mqtt client disconnected'));
    aedes.on('unsubscribe', (topics, client) => {
      const held = client ? this.filters.get(client) : undefined;
      if (held) for (const t of topics) held.delete(t);
    });

    this.server = createServer((socket) => this.accept(socket));
    this.boundPort = await listen(this.server, s.host, s.port, 'mqtt.port / HEARTH_MQTT_PORT');
    if (s.tls_port !== undefined && s.tls_cert && s.tls_key) {
      // A connection still in its handshake is not in `sockets` yet: bound those here too, and
      // give up on a silent one after 10 s (Node's default is 120 s), so that half-open TLS
      // connections cannot hold every file descriptor the hub has (its database included).
      this.tlsServer = createTlsServer({ cert: readFileSync(s.tls_cert), key: readFileSync(s.tls_key), handshakeTimeout: 10_000 }, (socket) =>
        this.accept(socket),
      );
      this.tlsServer.maxConnections = s.max_connections;
      this.tlsServer.on('tlsClientError', (err, socket) => this.log.info({ remote: socket.remoteAddress, err: err.message }, 'mqtt TLS handshake failed'));
      this.boundTlsPort = await listen(this.tlsServer, s.host, s.tls_port, 'mqtt.tls_port');
    }
    this.started = true;
    this.log.info({ host: s.host, port: this.boundPort, tls_port: this.tlsPort ?? null }, 'mqtt broker listening');
  }

  /** Tells devices the "home assistant" side is up so they republish discovery (HA's birth message: not retained). */
  announceBirth(): Promise<void> {
    return this.publish('homeassistant/status', 'online', { retain: false });
  }

  async stop(): Promise<void> {
    this.started = false;
    const closing: Promise<void>[] = [];
    for (const server of [this.server, this.tlsServer]) if (server) closing.push(new Promise((res) => server.close(() => res())));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all(closing);
    const aedes = this.aedes;
    if (aedes) await new Promise<void>((res) => aedes.close(() => res()));
    this.handlers.clear();
    this.recent.clear();
    this.aedes = undefined;
    this.server = this.tlsServer = undefined;
  }

  health(): ComponentHealth {
    if (!this.started) return { status: 'stopped', detail: 'not running' };
    const tls = this.tlsPort ? `, TLS on ${this.tlsPort}` : '';
    return { status: 'ok', detail: `listening on ${this.ctx.settings.get().mqtt.host}:${this.boundPort}${tls}; ${this.clientCount} clients` };
  }

  /**
   * Closes every live connection made with this device login (its login was just deleted:
   * without this, a device would keep publishing until it reconnected). Returns how many.
   */
  disconnectUser(username: string): number {
    const clients = this.byUser.get(username);
    if (!clients) return 0;
    this.byUser.delete(username);
    for (const client of clients) client.close();
    if (clients.size) this.log.info({ username, clients: clients.size }, 'mqtt clients disconnected: their device login was deleted');
    return clients.size;
  }

  private track(client: Client, username: string): void {
    let clients = this.byUser.get(username);
    if (!clients) this.byUser.set(username, (clients = new Set()));
    clients.add(client);
    const forget = () => {
      const set = this.byUser.get(username);
      set?.delete(client);
      if (set?.size === 0) this.byUser.delete(username);
    };
    const conn = client.conn as { once?: (event: string, listener: () => void) => void; destroyed?: boolean } | undefined;
    if (!conn?.once || conn.destroyed) return forget();
    conn.once('close', forget);
  }

  /** Publishes as the hub, in process (no socket, no credentials, no device limits). */
  publish(topic: string, payload: string | Buffer, options: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('the mqtt broker is not running'));
    const packet = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: false,
    } as PublishPacket;
    return new Promise((res, rej) => aedes.publish(packet, (err) => (err ? rej(err) : res())));
  }

  /** Subscribes the hub in process; returns the unsubscribe function. */
  subscribe(pattern: string, handler: MessageHandler): () => void {
    const aedes = this.aedes;
    if (!aedes) throw new Error('the mqtt broker is not running');
    const entry = {
      pattern,
      deliver: (packet: AedesPublishPacket, cb: () => void) => {
        try {
          handler({
            topic: packet.topic,
            payload: toBuffer(packet.payload),
            retain: Boolean(packet.retain),
            clientId: (packet as { clientId?: string }).clientId ?? null,
          });
        } catch (err) {
          this.log.error({ err, topic: packet.topic }, 'mqtt handler failed');
        }
        cb();
      },
    };
    this.handlers.add(entry);
    aedes.subscribe(pattern, entry.deliver, () => {});
    return () => {
      this.handlers.delete(entry);
      this.aedes?.unsubscribe(pattern, entry.deliver, () => {});
    };
  }

  /** Retained messages matching a pattern, as stored (and reloaded after a restart). */
  async retained(pattern: string): Promise<BrokerMessage[]> {
    const packets = (await this.persistence?.retained(pattern)) ?? [];
    return packets.map((p) => ({ topic: p.topic, payload: toBuffer(p.payload), retain: true, clientId: null }));
  }

  /** The retained payload of one exact topic (what a new subscriber would get first). */
  retainedPayload(topic: string): Buffer | undefined {
    return this.persistence?.retainedPayload(topic);
  }

  /** A non-retained payload published on `topic` within the last few seconds, if any. */
  recentPayload(topic: string): Buffer | undefined {
    const r = this.recent.get(topic);
    return r && Date.now() - r.at < RECENT_MS ? r.payload : undefined;
  }

  private remember(topic: string, payload: Buffer): void {
    if (payload.length > 16_384) return;
    const now = Date.now();
    this.recent.delete(topic);
    this.recent.set(topic, { payload, at: now });
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.keys().next().value!);
    // Oldest first (re-inserted on each message): what is past the replay window is of no use.
    for (const [t, r] of this.recent) {
      if (now - r.at < RECENT_MS) break;
      this.recent.delete(t);
    }
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const s = this.ctx.settings.get().mqtt;
    if (!this.aedes || this.sockets.size >= s.max_connections) {
      this.log.warn({ remote: socket.remoteAddress, limit: s.max_connections }, 'mqtt connection refused: mqtt.max_connections reached');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {}); // reported through aedes' clientError
    const guard = new PacketGuard(socket, {
      maxPacketBytes: s.max_packet_bytes,
      maxTopicLevels: s.max_topic_levels,
      onRefuse: (refusal, clientId) => {
        const { reason, ...details } = refusal;
        this.log.warn({ clientId, remote: socket.remoteAddress, reason, topic: null, ...details }, REFUSAL_TEXT[reason]);
      },
    });
    this.aedes.handle(guard);
  }

  /**
   * What aedes and mqtt-packet let through in a CONNECT although MQTT 3.1.1 refuses it. Returns
   * why the connection is closed at once (a malformed CONNECT gets no CONNACK); a CONNECT that is
   * well formed but refused is marked here and answered with its CONNACK code in `authenticate`.
   */
  private checkConnect(client: Client, packet: ConnectPacket): string | undefined {
    const remote = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? null;
    let problem: string | undefined;
    if (packet.password !== undefined && packet.username === undefined) problem = 'MQTT-3.1.2-22: a password without a user name';
    else if (packet.will && ((packet.will.qos as number) > 2 || /[+#\u0000]/.test(packet.will.topic) || packet.will.topic.length === 0))
      problem = 'MQTT-3.1.2-14 / 4.7.3: the will has QoS 3 or a topic that is empty or holds a wildcard';
    if (problem) {
      this.log.warn({ clientId: packet.clientId || null, remote, rule: problem, topic: null }, 'mqtt connection refused: malformed CONNECT; connection closed');
      return problem;
    }
    // [MQTT-3.1.3-8]: a server-assigned id cannot carry a session over; aedes would make one up.
    if (!packet.clientId && packet.clean === false)
      refuseAtConnect(client, 2, 'mqtt connection refused: an empty client id needs clean session on (CONNACK 0x02); give the device a client id');
    else if (packet.will && devicePublishProblem(packet.will.topic))
      refuseAtConnect(client, 5, 'mqtt connection refused: its will topic is reserved for the hub (CONNACK 0x05)');
    return undefined;
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: (Error & { returnCode: number }) | null, ok: boolean | null) => void,
  ): Promise<void> {
    const refused = (client as Client & { hearthRefusal?: { code: number; text: string } }).hearthRefusal;
    if (refused) {
      this.log.warn(
        { clientId: null, username: username ?? null, remote: (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? null, topic: null },
        refused.text,
      );
      return done(authError(refused.text, refused.code), null);
    }
    const anonymousAllowed = this.ctx.settings.get().mqtt.allow_anonymous;
    if (!username) {
      if (anonymousAllowed) return done(null, true);
      this.log.warn({ clientId: client.id, topic: null }, 'mqtt connection refused: anonymous clients are not allowed (mqtt.allow_anonymous)');
      return done(authError('not authorized', 5), null);
    }
    const remote = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? '';
    if (this.authFailures.retryAfter(remote) > 0) {
      this.log.warn(
        { clientId: client.id, username, remote, topic: null },
        'mqtt connection refused: too many failed logins from this address; try again later',
      );
      return done(authError('bad username or password', 4), null);
    }
    let ok = false;
    try {
      ok = await this.credentials.verify(username, password ? password.toString('utf8') : '');
    } catch (err) {
      this.log.error({ err, clientId: client.id }, 'mqtt credential check failed');
    }
    // The login may have been deleted while its password was being checked.
    if (ok && this.credentials.get(username)) {
      (client as Client & { hearthUser?: string }).hearthUser = username;
      this.track(client, username);
      return done(null, true);
    }
    this.authFailures.take(remote);
    this.log.warn({ clientId: client.id, username, topic: null }, 'mqtt connection refused: bad username or password');
    done(authError('bad username or password', 4), null);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    // The hub's own publishes: device commands were checked by the MQTT adapter (topic-rules.ts).
    if (!client) return null;
    const topic = packet.topic;
    const problem = devicePublishProblem(topic);
    if (problem) {
      this.log.warn({ clientId: client.id, topic, problem }, 'mqtt publish refused: topic is reserved for the hub; client disconnected');
      return new Error(problem);
    }
    if (!this.limiter.take(client.id) || !this.sourceLimiter.take(sourceKey(client))) {
      this.log.warn(
        { clientId: client.id, topic, limit_per_second: this.ctx.settings.get().mqtt.messages_per_second },
        'mqtt client disconnected: message rate over mqtt.messages_per_second',
      );
      return new Error('message rate limit exceeded');
    }
    return null;
  }

  private authorizeSubscribe(client: Client, sub: Subscription): Subscription | null {
    if (sub.topic.includes('\uFFFD') || sub.topic.includes('\u0000')) {
      this.log.warn({ clientId: client.id, topic: sub.topic }, 'mqtt subscribe refused: topic filter is not valid UTF-8');
      return null;
    }
    // hearth/ is the hub's own traffic; $SYS would tell any device the ids of all the others.
    if (sub.topic.startsWith('hearth/') || sub.topic.startsWith('$SYS')) {
      this.log.warn({ clientId: client.id, topic: sub.topic }, 'mqtt subscribe refused: topic is reserved for the hub');
      return null;
    }
    let held = this.filters.get(client);
    if (!held) this.filters.set(client, (held = new Set()));
    if (!held.has(sub.topic) && held.size >= MAX_SUBSCRIPTIONS_PER_CLIENT) {
      this.log.warn(
        { clientId: client.id, topic: sub.topic, limit: MAX_SUBSCRIPTIONS_PER_CLIENT },
        'mqtt subscribe refused: the client holds too many subscriptions',
      );
      return null;
    }
    held.add(sub.topic);
    return sub;
  }
}

/**
 * The second rate bucket: who the client is (its login, or anonymous) and where it connects
 * from, so reconnecting under a fresh client id does not start a fresh, full bucket.
 */
function sourceKey(client: Client): string {
  const c = client as Client & { hearthUser?: string; hearthSource?: string };
  // Built once per connection (its login and address do not change), not on every message.
  if (c.hearthSource === undefined) {
    const remote = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? client.id;
    c.hearthSource = `${c.hearthUser ?? ''}@${remote}`;
  }
  return c.hearthSource;
}

function toBuffer(payload: unknown): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload);
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  return Buffer.alloc(0);
}

function listen(server: Server | TlsServer, host: string, port: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Error(`port ${port} is already in use (${key})`));
      else if (err.code === 'EACCES') reject(new Error(`not allowed to listen on port ${port} (${key}); use a port above 1023`));
      else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
