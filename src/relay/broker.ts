import { hostname } from 'node:os';
import type { KeyObject } from 'node:crypto';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../core/logger.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import { randomToken } from '../core/ids.js';
import type { Settings } from '../config/schema.js';
import { LinkConnection } from '../link/connection.js';
import { RpcClient, type RpcCallOptions } from '../link/rpc-client.js';
import {
  parseTopic,
  signBody,
  supportAnnouncementSchema,
  topicsFor,
  upMessageSchema,
  type RpcResponse,
  type SupportAnnouncement,
  type UpMessage,
} from '../link/messages.js';
import type { AuditChains, ChainVerdict } from './chain.js';
import type { RelayStore } from './store.js';

type RelaySettings = Settings['relay'];

export interface HubView {
  hub_id: string;
  online: boolean;
  since: number;
  support: SupportAnnouncement['grants'];
}

const MAX_HUBS = 100_000;
const SEEN_IDS = 50_000;

export function defaultInstanceId(): string {
  return `relay-${hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 40)}`;
}

/**
 * The relay's broker side: which hubs are online (retained `status`), which have granted
 * support (retained `support`), the hubs' `up/events` through a shared subscription (each
 * message goes to one relay of the group), signed down commands and RPC calls.
 */
export class RelayBroker implements Service {
  readonly name = 'broker';
  readonly instanceId: string;
  readonly chains: AuditChains;
  private readonly hubs = new Map<string, HubView>();
  private readonly seen = new Set<string>();
  private readonly rpc: RpcClient;
  private connection?: LinkConnection;
  private readonly statusListeners = new Set<(hubId: string, online: boolean) => void>();
  private readonly listeners = new Set<(msg: UpMessage, verdict: ChainVerdict | 'event' | 'duplicate') => void>();
  handled = 0;
  duplicates = 0;

  constructor(
    private readonly s: RelaySettings,
    private readonly log: Logger,
    readonly store: RelayStore,
    private readonly signingKey?: KeyObject,
  ) {
    this.instanceId = s.instance_id ?? defaultInstanceId();
    this.chains = store.chains;
    this.rpc = new RpcClient({ callerId: this.instanceId, signingKey, timeoutMs: s.rpc_timeout_ms });
  }

  /** Told about each `status` message of a hub (retained ones too, when the relay connects). */
  onStatusChange(listener: (hubId: string, online: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Tests and metrics: told about each up message this relay handled. */
  onUp(listener: (msg: UpMessage, verdict: ChainVerdict | 'event' | 'duplicate') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (!this.s.broker_url) throw new Error('relay.broker_url is not set');
    this.connection = new LinkConnection({
      url: this.s.broker_url,
      clientId: `hearth-${this.instanceId}`,
      username: this.s.username,
      password: this.s.password,
      ca: this.s.ca,
      cert: this.s.cert,
      key: this.s.key,
      keepaliveS: 30,
      sessionExpiryS: this.s.session_expiry_s,
      reconnectMinMs: 500,
      reconnectMaxMs: 30_000,
      authRetryMs: 30_000,
      statusTopic: `hearth/relays/${this.instanceId}/status`,
      subscriptions: [
        'hearth/v1/+/status',
        'hearth/v1/+/support',
        `$share/${this.s.shared_group}/hearth/v1/+/up/events`,
        `$share/${this.s.shared_group}/hearth/v1/+/up/backup`,
        this.rpc.responseFilter,
      ],
      log: this.log,
      onConnect: () => undefined,
      onDisconnect: () => undefined,
      onMessage: (topic, payload, packet) => this.onMessage(topic, payload, packet),
      settle: (topic, payload) => this.settle(topic, payload),
    });
    // Awaited: loading mqtt.js can fail, and the relay must say so rather than lose the error.
    await this.connection.start();
  }

  async stop(): Promise<void> {
    this.rpc.stop();
    await this.connection?.stop();
  }

  get online(): boolean {
    return this.connection?.state === 'online';
  }

  health(): ComponentHealth {
    const c = this.connection;
    if (!c) return { status: 'starting', detail: 'not started' };
    if (c.state === 'online')
      return {
        status: 'ok',
        detail: `online as ${this.instanceId}; ${this.hubList().filter((h) => h.online).length} hubs online; ${this.handled} up messages handled`,
      };
    return { status: 'degraded', detail: `${c.state}: ${c.lastError?.message ?? 'connecting'}` };
  }

  hubList(): HubView[] {
    return [...this.hubs.values()].sort((a, b) => a.hub_id.localeCompare(b.hub_id));
  }

  hub(id: string): HubView | undefined {
    return this.hubs.get(id);
  }

  /** Signs and publishes a down command; the hub checks signature, expiry and replay. */
  async sendCommand(
    hubId: string,
    action: { entity_id: string; operation: string; params: Record<string, unknown> },
    meta: { reason?: string; actor: string; ttlS: number },
  ): Promise<{ command_id: string; expires_at: number }> {
    const client = this.client();
    if (!this.signingKey) throw new Error('relay.signing_key is not set');
    const now = Date.now();
    const body: Record<string, unknown> = {
      id: `cmd_${randomToken(20)}`,
      hub_id: hubId,
      issued_at: now,
      expires_at: now + meta.ttlS * 1000,
      action,
      actor: meta.actor,
    };
    if (meta.reason) body.reason = meta.reason;
    await client.publishAsync(topicsFor(hubId).downCmd, JSON.stringify({ body, sig: signBody(this.signingKey, body) }), { qos: 1 });
    return { command_id: body.id as string, expires_at: body.expires_at as number };
  }

  async call(hubId: string, method: string, params: Record<string, unknown> = {}, options: RpcCallOptions = {}): Promise<RpcResponse> {
    const client = this.connection?.current;
    if (!client) return { ok: false, error: { code: 'RELAY_OFFLINE', message: 'the relay is not connected to the broker' } };
    return this.rpc.call(client, hubId, method, params, options);
  }

  private client(): MqttClient {
    const client = this.connection?.current;
    if (!client) throw new Error('the relay is not connected to the broker');
    return client;
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const where = parseTopic(topic);
    if (!where) return;
    const { hubId, rest } = where;
    try {
      if (rest === 'status') return this.onStatus(hubId, payload.toString('utf8'));
      if (rest === 'support') return this.onSupport(hubId, payload);
      if (rest.startsWith('rpc/res/')) {
        this.rpc.handleResponse(payload, packet);
        return;
      }
    } catch (err) {
      this.log.warn({ hub_id: hubId, topic, err: errorMessage(err) }, 'relay message handling failed');
    }
  }

  private view(hubId: string): HubView | undefined {
    let v = this.hubs.get(hubId);
    if (!v) {
      if (this.hubs.size >= MAX_HUBS) return undefined;
      v = { hub_id: hubId, online: false, since: Date.now(), support: [] };
      this.hubs.set(hubId, v);
    }
    return v;
  }

  private onStatus(hubId: string, text: string): void {
    if (text !== 'online' && text !== 'offline') return;
    const v = this.view(hubId);
    if (!v) return;
    if (v.online !== (text === 'online')) v.since = Date.now();
    v.online = text === 'online';
    for (const l of this.statusListeners) l(hubId, v.online);
  }

  private onSupport(hubId: string, payload: Buffer): void {
    if (payload.length === 0) return;
    const parsed = supportAnnouncementSchema.safeParse(JSON.parse(payload.toString('utf8')));
    if (!parsed.success || parsed.data.hub_id !== hubId) {
      this.log.warn({ hub_id: hubId }, 'malformed support announcement ignored');
      return;
    }
    const v = this.view(hubId);
    if (v) v.support = parsed.data.grants;
  }

  /**
   * What goes into the store, one message at a time, acknowledged to the broker only once stored
   * (a relay that dies mid-write gets it again, or another relay of the group does).
   */
  private async settle(topic: string, payload: Buffer): Promise<void> {
    const where = parseTopic(topic);
    if (where?.rest === 'up/events') await this.onUp_(where.hubId, payload);
    else if (where?.rest === 'up/backup') await this.store.backups.chunk(where.hubId, parseJson(payload));
  }

  private async onUp_(hubId: string, payload: Buffer): Promise<void> {
    const parsed = upMessageSchema.safeParse(parseJson(payload));
    if (!parsed.success || parsed.data.hub_id !== hubId) {
      this.log.warn({ hub_id: hubId }, 'malformed up message ignored');
      return;
    }
    const msg = parsed.data;
    let verdict: ChainVerdict | 'event' | 'duplicate';
    if (msg.class === 'audit') {
      verdict = await this.chains.accept(hubId, msg.data);
      if (verdict === 'broken') this.log.error({ hub_id: hubId, head: await this.chains.headOf(hubId) }, 'audit chain of a hub is broken');
    } else if (msg.class === 'alert' || msg.class === 'telemetry') {
      verdict = (await this.store.reports.record(hubId, msg)) ? 'event' : 'duplicate';
      if (msg.class === 'alert' && verdict === 'event') this.log.warn({ hub_id: hubId, kind: msg.type, text: msg.data.text }, 'a hub raised a health alert');
    } else if (this.seen.has(msg.id)) {
      verdict = 'duplicate';
    } else {
      this.seen.add(msg.id);
      if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
      verdict = 'event';
    }
    if (verdict === 'duplicate') this.duplicates++;
    else this.handled++;
    for (const l of this.listeners) l(msg, verdict);
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
