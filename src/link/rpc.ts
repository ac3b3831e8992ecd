import type { KeyObject } from 'node:crypto';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import { errorMessage, HearthError } from '../core/errors.js';
import { rpcRequestSchema, signedEnvelopeSchema, topicsFor, verifyBody, type RpcRequest, type RpcResponse } from './messages.js';
import { ReplayCache } from './replay.js';

export type RpcHandler = (request: RpcRequest) => Promise<unknown> | unknown;

export interface RpcServerOptions {
  hubId: string;
  publicKey?: KeyObject;
  timeoutMs: number;
  clock: Clock;
  log: Logger;
  /** A request that failed its checks (bad signature, replay…): the caller audits it. */
  onRejected(reason: string, request: Partial<RpcRequest>): void;
  onHandled?(method: string, result: 'ok' | 'error' | 'timeout'): void;
  /** Where request ids are remembered until they expire; default in memory (lost on restart). */
  replay?: { remember(id: string, expiresAt: number, now: number): 'ok' | 'replayed' | 'full' };
}

/** Requests may not live longer than this: it bounds the replay memory. */
const MAX_REQUEST_TTL_MS = 5 * 60_000;

/**
 * The hub's side of `rpc/req`: the request is signed by the relay (the broker's ACL alone is
 * not trusted), carries an expiry, and is answered on its MQTT 5 response topic with its
 * correlation data. A handler that does not finish in time is answered with TIMEOUT.
 */
export class RpcServer {
  private readonly handlers = new Map<string, RpcHandler>();
  private readonly replay: NonNullable<RpcServerOptions['replay']>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly resPrefix: string;
  readonly hubId: string;

  constructor(private readonly o: RpcServerOptions) {
    this.replay = o.replay ?? new ReplayCache(10_000);
    this.resPrefix = `${topicsFor(o.hubId).rpcResPrefix}/`;
    this.hubId = o.hubId;
  }

  register(method: string, handler: RpcHandler): void {
    this.handlers.set(method, handler);
  }

  async handle(client: MqttClient, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const responseTopic = packet.properties?.responseTopic;
    const correlationData = packet.properties?.correlationData;
    if (!responseTopic || !responseTopic.startsWith(this.resPrefix) || responseTopic.includes('+') || responseTopic.includes('#')) {
      this.o.log.warn({ response_topic: responseTopic }, 'rpc request without a usable response topic ignored');
      return;
    }
    const reply = (response: RpcResponse): void => {
      client.publish(responseTopic, JSON.stringify(response), { qos: 1, properties: correlationData ? { correlationData } : {} });
    };
    const fail = (code: string, message: string): void => reply({ ok: false, error: { code, message } });

    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      return fail('MALFORMED', 'the request is not JSON');
    }
    const env = signedEnvelopeSchema.safeParse(raw);
    if (!env.success) return fail('MALFORMED', 'the request is not a signed envelope');
    const hint = {
      id: typeof env.data.body.id === 'string' ? env.data.body.id.slice(0, 100) : undefined,
      method: typeof env.data.body.method === 'string' ? env.data.body.method.slice(0, 100) : undefined,
    };
    if (!env.data.sig || !this.o.publicKey || !verifyBody(this.o.publicKey, env.data.body, env.data.sig)) {
      this.o.onRejected(!env.data.sig ? 'unsigned' : !this.o.publicKey ? 'no_trusted_key' : 'bad_signature', hint);
      return fail('UNAUTHENTICATED', 'the request is not signed by the trusted relay key');
    }
    const parsed = rpcRequestSchema.safeParse(env.data.body);
    if (!parsed.success) return fail('MALFORMED', parsed.error.issues[0]?.message ?? 'malformed request');
    const req = parsed.data;
    const now = this.o.clock.now();
    const reject = (reason: string, code: string, message: string): void => {
      this.o.onRejected(reason, req);
      return fail(code, message);
    };
    if (req.hub_id !== this.o.hubId) return reject('other_hub', 'WRONG_HUB', `this is hub ${this.o.hubId}`);
    if (req.expires_at <= now) return reject('expired', 'EXPIRED', 'the request expired before it arrived');
    if (req.expires_at - now > MAX_REQUEST_TTL_MS) return reject('expiry_too_far', 'BAD_EXPIRY', 'the request lives too long');
    const seen = this.replay.remember(req.id, req.expires_at, now);
    if (seen === 'replayed') return reject('replayed', 'REPLAYED', 'this request id was already used');
    if (seen === 'full') return fail('BUSY', 'too many requests');
    const handler = this.handlers.get(req.method);
    if (!handler) return fail('UNKNOWN_METHOD', `no method ${req.method}`);

    const budget = Math.min(this.o.timeoutMs, req.expires_at - now);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), budget);
      this.timers.add(timer);
    });
    try {
      const result = await Promise.race([
        Promise.resolve()
          .then(() => handler(req))
          .then((value) => ({ value })),
        timeout,
      ]);
      if (result === 'timeout') {
        this.o.onHandled?.(req.method, 'timeout');
        this.o.log.warn({ method: req.method, budget_ms: budget }, 'rpc handler timed out');
        return fail('TIMEOUT', `the hub did not finish ${req.method} within ${budget} ms`);
      }
      this.o.onHandled?.(req.method, 'ok');
      return reply({ ok: true, result: result.value ?? null });
    } catch (err) {
      this.o.onHandled?.(req.method, 'error');
      if (err instanceof HearthError) return fail(err.code, err.message);
      this.o.log.error({ method: req.method, err: errorMessage(err) }, 'rpc handler failed');
      return fail('INTERNAL', "the handler failed; see the hub's log");
    } finally {
      if (timer) {
        clearTimeout(timer);
        this.timers.delete(timer);
      }
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
