import type { KeyObject } from 'node:crypto';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { Counter, Gauge } from 'prom-client';
import type { HubContext } from '../part/context.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { commitsFor } from '../store/commits.js';
import { RateLimiter } from '../core/rate-limit.js';
import type { Settings } from '../config/schema.js';
import { LinkConnection } from './connection.js';
import { Outbox, type OutboxRow } from './outbox.js';
import { DownCommands } from './commands.js';
import { RpcServer } from './rpc.js';
import { SqliteReplay } from './replay.js';
import { loadPublicKey, topicsFor, type PriorityClass } from './messages.js';
import type { GatePort } from './gate-port.js';
import type { SupportGrants } from './support.js';

type LinkSettings = Settings['link'];

interface Metrics {
  connected: Gauge;
  depth: Gauge;
  dropped: Counter<'class'>;
  published: Counter;
  attempts: Counter;
  commands: Counter<'result'>;
  rpc: Counter<'method' | 'result'>;
}

const TICK_MS = 1000;

/**
 * The hub's side of the hybrid link: one connection, the outbox pump, down commands and RPC.
 * Optional: a hub without a cloud link (or with its broker down) runs the same, degraded.
 */
export class LinkService implements Service {
  readonly name = 'link';
  readonly optional = true;
  readonly rpc: RpcServer | undefined;
  outbox?: Outbox;
  private connection?: LinkConnection;
  private commands?: DownCommands;
  private tick?: NodeJS.Timeout;
  private readonly inflight = new Set<number>();
  /**
   * Rows read ahead of the window, oldest first, and the last id read: each PUBACK publishes the
   * next row at once, with no query and no turn of the event loop between; a page is read when
   * they run out. Only durable rows are read (see pump), so what is here may go at any time.
   */
  private ahead: OutboxRow[] = [];
  private lastReadId = 0;
  private acks: number[] = [];
  private flushScheduled = false;
  private pumpScheduled = false;
  private waitingDurable = false;
  private running = false;
  private dropped = 0;
  private keyError?: string;
  /** Rejected RPCs are audited, but a flood of them must not fill the disk. */
  private readonly rejectAudit = new RateLimiter({ burst: 50, perSecond: 2, maxKeys: 4 });
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly settings: LinkSettings;
  private readonly hubId?: string;
  private readonly publicKey?: KeyObject;

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: { gate: GatePort; support: SupportGrants },
  ) {
    this.log = ctx.log.child({ part: 'link' });
    this.settings = ctx.settings.get().link;
    this.hubId = this.settings.url && this.settings.hub_id ? this.settings.hub_id : undefined;
    if (this.settings.relay_public_key) {
      try {
        this.publicKey = loadPublicKey(this.settings.relay_public_key);
      } catch (err) {
        this.keyError = `link.relay_public_key cannot be used: ${errorMessage(err)}`;
      }
    }
    this.metrics = this.makeMetrics();
    if (this.hubId) {
      this.outbox = new Outbox({
        db: ctx.store.db,
        ackDb: ctx.store.telemetry,
        hubId: this.hubId,
        maxRows: this.settings.outbox_max_rows,
        clock: ctx.clock,
        onDrop: (cls, n) => this.onDrop(cls, n),
      });
      this.rpc = new RpcServer({
        hubId: this.hubId,
        publicKey: this.publicKey,
        timeoutMs: this.settings.rpc_timeout_ms,
        clock: ctx.clock,
        log: this.log,
        onRejected: (reason, req) => this.auditRpcRejected(reason, req),
        onHandled: (method, result) => this.metrics.rpc.inc({ method, result }),
        // In SQLite: a request captured on the broker must not work again after a restart.
        replay: new SqliteReplay(ctx.store.db, 'rpc:'),
      });
      // The audit entry and its outbox row land in one transaction (or the catch-up copies it).
      ctx.audit.onAppendInTransaction((entry) => {
        if (!this.outbox) return;
        try {
          this.outbox.onAuditAppended(entry);
        } catch (err) {
          this.log.error({ err: errorMessage(err), seq: entry.seq }, 'outbox hook failed; the catch-up will copy the entry');
        }
        this.wake();
      });
    }
  }

  /** The connected MQTT client, when online (the backup copy publishes through it). */
  get client(): MqttClient | undefined {
    return this.connection?.state === 'online' ? this.connection.current : undefined;
  }

  get enabled(): boolean {
    return this.hubId !== undefined;
  }

  get id(): string | undefined {
    return this.hubId;
  }

  /** Queues an event, alert or telemetry sample for the cloud (durable; see Outbox). */
  enqueue(cls: Exclude<PriorityClass, 'audit'>, type: string, data: Record<string, unknown>): string | undefined {
    if (!this.outbox) return undefined;
    const id = this.outbox.enqueue(cls, type, data);
    this.wake();
    return id;
  }

  private announcing = false;

  async start(): Promise<void> {
    if (!this.hubId || !this.outbox) return;
    const s = this.settings;
    const t = topicsFor(this.hubId);
    this.running = true;
    this.commands = new DownCommands({
      ctx: this.ctx,
      hubId: this.hubId,
      publicKey: this.publicKey,
      maxTtlMs: s.command_max_ttl_s * 1000,
      gate: this.deps.gate,
      log: this.log,
      onResult: (r) => {
        this.metrics.commands.inc({ result: r.accepted ? String(r.outcome?.status ?? 'accepted') : `rejected_${r.reason}` });
        if (r.accepted) this.enqueue('event', 'link.command.outcome', { command_id: r.command_id, outcome: r.outcome ?? null });
      },
    });
    this.outbox.catchUpAudit();
    this.connection = new LinkConnection({
      url: s.url!,
      clientId: `hearth-${this.hubId}`,
      username: s.username,
      password: s.password,
      ca: s.ca,
      cert: s.cert,
      key: s.key,
      keepaliveS: s.keepalive_s,
      sessionExpiryS: s.session_expiry_s,
      reconnectMinMs: s.reconnect_min_ms,
      reconnectMaxMs: s.reconnect_max_ms,
      authRetryMs: s.auth_retry_ms,
      statusTopic: t.status,
      subscriptions: [t.downCmd, t.rpcReq],
      log: this.log,
      onAttempt: () => this.metrics.attempts.inc(),
      onConnect: (client) => {
        this.metrics.connected.set(1);
        this.inflight.clear();
        this.ahead = [];
        this.lastReadId = 0; // everything not acknowledged goes again, oldest first
        this.announceSupport(client);
        this.wake();
      },
      onDisconnect: () => {
        this.metrics.connected.set(0);
        this.inflight.clear();
      },
      onMessage: (topic, payload, packet, client) => this.onMessage(topic, payload, packet, client),
    });
    if (!this.announcing) {
      this.announcing = true; // once: start() runs again when support restarts the link
      this.deps.support.onChange(() => {
        const client = this.connection?.current;
        if (client) this.announceSupport(client);
      });
    }
    await this.connection.start();
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    this.tick.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.tick) clearInterval(this.tick);
    this.tick = undefined;
    this.rpc?.stop();
    this.flushAcks();
    await this.connection?.stop();
    this.flushAcks();
    this.metrics.connected.set(0);
  }

  health(): ComponentHealth {
    if (!this.hubId) return { status: 'disabled', detail: 'no cloud link (link.url and link.hub_id are not set)' };
    const depth = this.outbox?.depth ?? 0;
    const backlog = this.outbox ? this.outbox.auditBacklog() : 0;
    const parts = [`outbox ${depth}/${this.settings.outbox_max_rows}`];
    if (backlog > 0) parts.push(`${backlog} audit entries waiting for room`);
    if (this.dropped > 0) parts.push(`${this.dropped} low-priority rows dropped (outbox full)`);
    const over = depth > this.settings.outbox_max_rows;
    if (over) parts.push('outbox over its bound: only audit entries and alerts are left, which are never dropped');
    if (this.keyError) parts.push(this.keyError);
    else if (!this.publicKey) parts.push('link.relay_public_key not set: down commands and RPC are refused');
    const c = this.connection;
    if (!c) return { status: 'starting', detail: parts.join('; ') };
    if (this.settings.url?.startsWith('mqtt:')) parts.push('WARNING: the link is not encrypted (use mqtts://)');
    if (c.state === 'online') {
      return { status: over || this.keyError ? 'degraded' : 'ok', detail: [`online to ${safeUrl(this.settings.url!)}`, ...parts].join('; ') };
    }
    const next = c.nextAttemptAt ? `; next attempt in ${Math.max(0, Math.round((c.nextAttemptAt - Date.now()) / 1000))} s` : '';
    const err = c.lastError
      ? `${c.lastError.kind === 'auth' ? 'credentials refused' : c.lastError.kind === 'tls' ? 'TLS refused' : 'offline'}: ${c.lastError.message}`
      : c.state;
    return { status: 'degraded', detail: [`${err}${next}`, `${c.attempts} connection attempts`, ...parts].join('; ') };
  }

  /** For tests and diagnostics: the link's state in one object. */
  status(): { state: string; last_error: string | null; error_kind: string | null; attempts: number; outbox_depth: number; dropped: number } {
    const c = this.connection;
    return {
      state: this.hubId ? (c?.state ?? 'starting') : 'disabled',
      last_error: c?.lastError?.message ?? null,
      error_kind: c?.lastError?.kind ?? null,
      attempts: c?.attempts ?? 0,
      outbox_depth: this.outbox?.depth ?? 0,
      dropped: this.dropped,
    };
  }

  private onTick(): void {
    if (!this.running || !this.outbox) return;
    try {
      this.outbox.catchUpAudit();
      this.outbox.refreshDepth();
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'outbox catch-up failed');
    }
    this.pump();
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket, client: MqttClient): void {
    const t = topicsFor(this.hubId!);
    if (topic === t.downCmd) {
      void this.commands?.handle(payload).catch((err) => this.log.error({ err: errorMessage(err) }, 'down command handling failed'));
    } else if (topic === t.rpcReq) {
      void this.rpc?.handle(client, payload, packet).catch((err) => this.log.error({ err: errorMessage(err) }, 'rpc handling failed'));
    } else {
      this.log.debug({ topic }, 'message on an unexpected topic ignored');
    }
  }

  private wake(): void {
    if (this.pumpScheduled || !this.running) return;
    this.pumpScheduled = true;
    // After the current transaction has committed: never publish what might still roll back.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Publishes the oldest unacknowledged rows, at most `publish_window` in flight, in id order. */
  private pump(): void {
    const client = this.connection?.current;
    if (!client || !this.outbox || !this.running) return;
    const window = this.settings.publish_window;
    while (this.inflight.size < window) {
      const row = this.ahead.shift() ?? this.readAhead(window);
      if (!row) return;
      this.inflight.add(row.id);
      client.publish(row.topic, row.payload, { qos: 1 }, (err) => {
        if (!this.inflight.delete(row.id) && err) return;
        if (err) return; // not acknowledged: it stays in the outbox and goes again on reconnect
        this.metrics.published.inc();
        this.acks.push(row.id);
        this.scheduleFlush();
        this.pump(); // the window has room: the next row goes now
      });
    }
  }

  /** The next page of durable rows (two windows' worth); its first row, or undefined when none (yet). */
  private readAhead(window: number): OutboxRow | undefined {
    const commits = commitsFor(this.ctx.store.db);
    if (commits.fsyncsInFlight > 0) {
      // Rows of a group commit whose fsync is still running: publish them once they are on disk.
      if (!this.waitingDurable) {
        this.waitingDurable = true;
        commits.whenDurable(() => {
          this.waitingDurable = false;
          this.pump();
        });
      }
      return undefined;
    }
    this.ahead = this.outbox!.page(this.lastReadId, 2 * window);
    const last = this.ahead[this.ahead.length - 1];
    if (last) this.lastReadId = last.id;
    return this.ahead.shift();
  }

  /** Deletes acknowledged rows in one transaction per turn (one fsync, not one per message). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushAcks();
      this.pump();
    });
  }

  private flushAcks(): void {
    if (this.acks.length === 0 || !this.outbox) return;
    const ids = this.acks;
    this.acks = [];
    try {
      this.outbox.acknowledge(ids);
    } catch (err) {
      // The rows stay and are published again; the receiver drops the repeats by id.
      this.log.warn({ err: errorMessage(err) }, 'could not delete acknowledged outbox rows');
    }
  }

  private announceSupport(client: MqttClient): void {
    if (!this.hubId) return;
    client.publish(topicsFor(this.hubId).support, JSON.stringify(this.deps.support.announcement(this.hubId)), { qos: 1, retain: true });
  }

  private onDrop(cls: PriorityClass, n: number): void {
    this.dropped += n;
    this.metrics.dropped.inc({ class: cls }, n);
    if (this.dropped === n || this.dropped % 1000 === 0)
      this.log.warn({ class: cls, dropped_total: this.dropped }, 'outbox full: dropping the oldest low-priority rows');
  }

  private auditRpcRejected(reason: string, req: { id?: string; method?: string }): void {
    this.log.warn({ reason, rpc_id: req.id, method: req.method }, 'rpc request rejected');
    if (!this.rejectAudit.take('rpc')) return;
    try {
      this.ctx.audit.append({
        actor: 'relay',
        origin: 'relay',
        kind: 'link.rpc.rejected',
        subject: req.id ?? null,
        data: { reason, method: req.method ?? null },
      });
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'could not audit a rejected rpc request');
    }
  }

  private makeMetrics(): Metrics {
    const registers = [this.ctx.metrics];
    const self = this;
    return {
      connected: new Gauge({ name: 'hearth_link_connected', help: '1 while the cloud link is connected', registers }),
      depth: new Gauge({
        name: 'hearth_link_outbox_depth',
        help: 'Rows waiting in the upstream outbox',
        registers,
        collect() {
          this.set(self.outbox?.depth ?? 0);
        },
      }),
      dropped: new Counter({
        name: 'hearth_link_outbox_dropped_total',
        help: 'Outbox rows dropped to keep its bound, by class',
        labelNames: ['class'] as const,
        registers,
      }),
      published: new Counter({ name: 'hearth_link_published_total', help: 'Upstream messages acknowledged by the broker', registers }),
      attempts: new Counter({ name: 'hearth_link_connect_attempts_total', help: 'Connection attempts to the cloud broker', registers }),
      commands: new Counter({ name: 'hearth_link_commands_total', help: 'Down commands by result', labelNames: ['result'] as const, registers }),
      rpc: new Counter({
        name: 'hearth_link_rpc_total',
        help: 'RPC requests handled, by method and result',
        labelNames: ['method', 'result'] as const,
        registers,
      }),
    };
  }
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'the broker';
  }
}
