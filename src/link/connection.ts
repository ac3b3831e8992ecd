import { readFileSync } from 'node:fs';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';

// Loaded when a link is started, so a hub without a cloud link never pays for mqtt.js.
let mqttConnect: typeof import('mqtt').connect | undefined;
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';

export type LinkState = 'connecting' | 'online' | 'offline' | 'stopped';
export type FailureKind = 'auth' | 'tls' | 'network' | 'config' | 'protocol';

export interface ConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  keepaliveS: number;
  sessionExpiryS: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  authRetryMs: number;
  /** Retained `online` on connect; retained `offline` as the will and on a clean stop. */
  statusTopic: string;
  subscriptions: string[];
  log: Logger;
  onConnect(client: MqttClient): void;
  onDisconnect(): void;
  onMessage(topic: string, payload: Buffer, packet: IPublishPacket, client: MqttClient): void;
  /**
   * Called after onMessage for each message, one at a time: the broker's acknowledgement (QoS 1)
   * waits until the promise settles, so what is being stored is redelivered if the process dies
   * first, and a slow store slows the broker down instead of filling memory.
   */
  settle?(topic: string, payload: Buffer): Promise<void>;
  onAttempt?(): void;
}

/**
 * One MQTT 5 connection, redialled by us rather than by mqtt.js (reconnectPeriod 0): each
 * attempt is a fresh client, the delay grows with jitter, and a broker that refuses the
 * credentials is retried only every `authRetryMs`, so a wrong password never becomes a storm.
 * mqtt.js's in-memory store is never relied on: the outbox republishes what was not acked.
 */
export class LinkConnection {
  state: LinkState = 'connecting';
  lastError?: { kind: FailureKind; message: string; at: number };
  attempts = 0;
  connectedSince?: number;
  nextAttemptAt?: number;
  private client?: MqttClient;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private generation = 0;
  private stopped = false;

  constructor(private readonly o: ConnectionOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    mqttConnect ??= (await import('mqtt')).connect;
    if (!this.stopped) this.attempt();
  }

  /** The client while online, else undefined. */
  get current(): MqttClient | undefined {
    return this.state === 'online' ? this.client : undefined;
  }

  /** Drops the connection and dials again now (maintenance "restart the link"). */
  restart(): void {
    if (this.stopped) return;
    this.generation++;
    this.client?.end(true);
    this.client = undefined;
    if (this.state === 'online') this.o.onDisconnect();
    if (this.timer) clearTimeout(this.timer);
    this.failures = 0;
    this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    this.generation++;
    if (!client) return;
    if (client.connected) {
      // A clean DISCONNECT suppresses the will, so say `offline` ourselves.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        client.publish(this.o.statusTopic, 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          client.end(true);
          resolve();
        }, 1000);
        client.end(false, {}, () => {
          clearTimeout(t);
          resolve();
        });
      });
    } else {
      client.end(true);
    }
  }

  private attempt(): void {
    this.timer = undefined;
    this.nextAttemptAt = undefined;
    if (this.stopped) return;
    this.attempts++;
    this.o.onAttempt?.();
    const gen = ++this.generation;
    this.state = 'connecting';
    let options: IClientOptions;
    try {
      options = this.clientOptions();
    } catch (err) {
      this.fail(gen, 'config', errorMessage(err));
      return;
    }
    const client = mqttConnect!(this.o.url, options);
    this.client = client;
    const settle = this.o.settle;
    if (settle) {
      client.handleMessage = (packet, done) => {
        if (packet.cmd !== 'publish' || gen !== this.generation) return done();
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        settle(packet.topic, payload).then(
          () => done(),
          (err: unknown) => {
            // Not acknowledged: drop the connection, and the broker hands the message out again.
            this.o.log.warn({ topic: packet.topic, err: errorMessage(err) }, 'a message could not be stored; reconnecting so the broker redelivers it');
            client.end(true);
          },
        );
      };
    }
    let closed = false;
    client.on('connect', (connack) => {
      if (gen !== this.generation) return;
      this.failures = 0;
      this.state = 'online';
      this.connectedSince = Date.now();
      this.lastError = undefined;
      // Nagle plus delayed ACKs costs ~20 ms per small message; see DESIGN's measured facts.
      (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.o.log.info({ url: this.o.url, session_present: connack.sessionPresent }, 'link connected');
      client.publish(this.o.statusTopic, 'online', { qos: 1, retain: true });
      if (this.o.subscriptions.length > 0) {
        client.subscribe(this.o.subscriptions, { qos: 1 }, (err, granted) => {
          if (err) this.o.log.warn({ err: errorMessage(err) }, 'link subscribe failed');
          const refused = (granted ?? []).filter((g) => g.qos >= 0x80);
          if (refused.length) this.o.log.warn({ topics: refused.map((g) => g.topic) }, 'broker refused a subscription (check its ACL)');
        });
      }
      this.o.onConnect(client);
    });
    client.on('message', (topic, payload, packet) => {
      if (gen !== this.generation) return;
      this.o.onMessage(topic, payload, packet, client);
    });
    client.on('error', (err) => {
      if (gen !== this.generation) return;
      const { kind, message } = classify(err);
      this.lastError = { kind, message, at: Date.now() };
    });
    client.on('close', () => {
      if (closed || gen !== this.generation) return;
      closed = true;
      const wasOnline = this.state === 'online';
      client.end(true);
      this.client = undefined;
      if (wasOnline) {
        this.o.onDisconnect();
        this.o.log.warn({ err: this.lastError?.message }, 'link connection lost');
      }
      this.fail(gen, this.lastError?.kind ?? 'network', this.lastError?.message ?? 'connection closed', wasOnline);
    });
  }

  private fail(gen: number, kind: FailureKind, message: string, wasOnline = false): void {
    if (this.stopped || gen !== this.generation) return;
    this.state = 'offline';
    this.connectedSince = undefined;
    this.lastError = { kind, message, at: Date.now() };
    if (!wasOnline) this.failures++;
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectMinMs * 2 ** Math.min(20, Math.max(0, this.failures - 1)));
    // Full jitter over the upper half: hubs that lost the same broker do not return in step.
    let delay = base / 2 + Math.random() * (base / 2);
    if (kind === 'auth' || kind === 'config') delay = Math.max(delay, this.o.authRetryMs);
    if (!wasOnline) this.o.log.warn({ kind, err: message, retry_ms: Math.round(delay) }, 'link connection failed');
    this.nextAttemptAt = Date.now() + delay;
    this.timer = setTimeout(() => this.attempt(), delay);
    this.timer.unref();
  }

  private clientOptions(): IClientOptions {
    const url = new URL(this.o.url);
    const secure = url.protocol === 'mqtts:' || url.protocol === 'wss:';
    const read = (what: string, path: string) => {
      try {
        return readFileSync(path);
      } catch (err) {
        throw new Error(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
      }
    };
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: this.o.clientId,
      clean: false,
      keepalive: this.o.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      username: this.o.username,
      password: this.o.password,
      properties: { sessionExpiryInterval: this.o.sessionExpiryS },
      will: { topic: this.o.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    if (secure) {
      // The broker's certificate is always checked: against link.ca when given, else the system CAs.
      options.rejectUnauthorized = true;
      if (this.o.ca) options.ca = read('link.ca', this.o.ca);
      if (this.o.cert) options.cert = read('link.cert', this.o.cert);
      if (this.o.key) options.key = read('link.key', this.o.key);
    }
    return options;
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/** Turns mqtt.js and TLS errors into a kind and a sentence for health. */
export function classify(err: Error & { code?: string | number }): { kind: FailureKind; message: string } {
  const code = err.code;
  if (code === 134 || code === 4)
    return { kind: 'auth', message: 'the broker refused the credentials (bad user name or password): check link.username and link.password' };
  if (code === 135 || code === 5) return { kind: 'auth', message: "the broker refused this hub (not authorized): check link.username and the broker's ACL" };
  if (typeof code === 'number') return { kind: 'protocol', message: err.message };
  if (code && TLS_CODES.has(code))
    return {
      kind: 'tls',
      message: `the broker's certificate is not trusted (${code}: ${err.message}); it must be signed by the CA in link.ca and name the broker's host`,
    };
  if (typeof code === 'string' && code.startsWith('ERR_SSL')) return { kind: 'tls', message: `TLS failed (${code}): ${err.message}` };
  return { kind: 'network', message: `${code ? `${code}: ` : ''}${err.message}` };
}
