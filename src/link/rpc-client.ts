import { randomBytes, type KeyObject } from 'node:crypto';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { randomToken } from '../core/ids.js';
import { rpcResponseSchema, signBody, topicsFor, type RpcResponse } from './messages.js';

export interface RpcCallOptions {
  engineer?: { id: string; name: string };
  grant_id?: string;
  timeoutMs?: number;
}

/**
 * The calling side of `rpc/req`: the relay (and the benches) use it. Replies come on
 * `hearth/v1/<hub>/rpc/res/<caller id>`; a call that gets no reply in time resolves TIMEOUT.
 * At most `maxPending` calls wait at once.
 */
export class RpcClient {
  private readonly pending = new Map<string, { resolve: (r: RpcResponse) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly o: { callerId: string; signingKey?: KeyObject; timeoutMs: number; now?: () => number; maxPending?: number }) {}

  /** The filter to subscribe to for replies from every hub. */
  get responseFilter(): string {
    return `hearth/v1/+/rpc/res/${this.o.callerId}`;
  }

  call(client: MqttClient, hubId: string, method: string, params: Record<string, unknown> = {}, options: RpcCallOptions = {}): Promise<RpcResponse> {
    if (this.pending.size >= (this.o.maxPending ?? 1000)) return Promise.resolve({ ok: false, error: { code: 'BUSY', message: 'too many calls in flight' } });
    const timeoutMs = options.timeoutMs ?? this.o.timeoutMs;
    const now = this.o.now?.() ?? Date.now();
    const body: Record<string, unknown> = { id: `rpc_${randomToken(16)}`, hub_id: hubId, method, params, expires_at: now + timeoutMs };
    if (options.engineer) body.engineer = options.engineer;
    if (options.grant_id) body.grant_id = options.grant_id;
    const envelope = { body, ...(this.o.signingKey ? { sig: signBody(this.o.signingKey, body) } : {}) };
    const correlation = randomBytes(16);
    const key = correlation.toString('hex');
    return new Promise<RpcResponse>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        resolve({ ok: false, error: { code: 'TIMEOUT', message: `hub ${hubId} did not answer ${method} within ${timeoutMs} ms` } });
      }, timeoutMs);
      this.pending.set(key, { resolve, timer });
      client.publish(
        topicsFor(hubId).rpcReq,
        JSON.stringify(envelope),
        { qos: 1, properties: { responseTopic: `${topicsFor(hubId).rpcResPrefix}/${this.o.callerId}`, correlationData: correlation } },
        (err) => {
          if (!err) return;
          clearTimeout(timer);
          this.pending.delete(key);
          resolve({ ok: false, error: { code: 'UNREACHABLE', message: `could not publish the request: ${err.message}` } });
        },
      );
    });
  }

  /** True when the message was a reply to one of our calls. */
  handleResponse(payload: Buffer, packet: IPublishPacket): boolean {
    const correlation = packet.properties?.correlationData;
    if (!correlation) return false;
    const waiting = this.pending.get(Buffer.from(correlation).toString('hex'));
    if (!waiting) return false;
    this.pending.delete(Buffer.from(correlation).toString('hex'));
    clearTimeout(waiting.timer);
    let parsed: RpcResponse;
    try {
      const r = rpcResponseSchema.safeParse(JSON.parse(payload.toString('utf8')));
      parsed = r.success ? r.data : { ok: false, error: { code: 'MALFORMED_REPLY', message: "the hub's reply did not parse" } };
    } catch {
      parsed = { ok: false, error: { code: 'MALFORMED_REPLY', message: "the hub's reply is not JSON" } };
    }
    waiting.resolve(parsed);
    return true;
  }

  stop(): void {
    for (const [key, w] of this.pending) {
      clearTimeout(w.timer);
      w.resolve({ ok: false, error: { code: 'STOPPED', message: 'the caller stopped' } });
      this.pending.delete(key);
    }
  }
}
