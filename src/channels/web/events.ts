import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../../part/context.js';
import type { EventName } from '../../core/bus.js';
import type { Service, ComponentHealth } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import { HearthError } from '../../core/errors.js';
import { requireSignedIn } from '../../core/guard.js';
import type { Principal } from '../../core/principal.js';
import type { StreamEvents } from '../../part/define.js';

const KEEPALIVE_MS = 15_000;
/** Messages a client may have waiting; a slower client is dropped rather than buffered forever. */
const MAX_QUEUED = 500;
const MAX_QUEUED_BYTES = 1024 * 1024;
const MAX_CLIENTS = 200;
/** Member changes after which an open stream no longer reflects what the member may see. */
const REVOKING_FIELDS = new Set(['disabled', 'role', 'password']);

class SseClient {
  private queue: string[] = [];
  private queuedBytes = 0;
  private blocked = false;
  closed = false;

  constructor(
    readonly res: ServerResponse,
    readonly who: string,
    readonly principal: Principal | null,
    private readonly onDrop: (client: SseClient, why: string) => void,
  ) {
    res.on('drain', () => this.flush());
  }

  send(chunk: string): void {
    if (this.closed) return;
    if (!this.blocked) {
      if (!this.res.write(chunk)) this.blocked = true;
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.queue.length > MAX_QUEUED || this.queuedBytes > MAX_QUEUED_BYTES) this.onDrop(this, 'too slow: its queue is full');
  }

  private flush(): void {
    this.blocked = false;
    while (this.queue.length > 0 && !this.closed) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      if (!this.res.write(chunk)) {
        this.blocked = true;
        return;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.res.end();
  }
}

/** Fans bus events out to every connected EventSource. */
export class SseBroadcaster implements Service {
  readonly name = 'web.events';
  private readonly clients = new Set<SseClient>();
  private readonly unsubscribe: (() => void)[] = [];
  private keepalive?: NodeJS.Timeout;
  private seq = 0;
  private readonly log: Logger;

  /** `events`: which bus events reach the web, what each sends and to whom (every part's `events`, gathered by the hub). */
  constructor(
    private readonly ctx: HubContext,
    private readonly events: StreamEvents,
  ) {
    this.log = ctx.log.child({ part: 'web.events' });
  }

  start(): void {
    for (const name of Object.keys(this.events) as EventName[]) {
      const row = this.events[name] as { send: (p: unknown) => unknown; to?: (who: Principal, p: unknown) => boolean };
      const serialize = row.send;
      const audience = row.to;
      this.unsubscribe.push(
        this.ctx.bus.on(name, (payload) => {
          if (this.clients.size === 0) return;
          const data = serialize(payload);
          if (data === undefined) return;
          if (!audience) return this.broadcast(name, data);
          const chunk = `id: ${++this.seq}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
          for (const c of this.clients) if (c.principal && audience(c.principal, payload)) c.send(chunk);
        }),
      );
    }
    // A stream is authorised once, when it opens. A member deleted, disabled, given another role
    // or a new password (sessions revoked) must not go on receiving the home's events on it: close
    // their streams; the browser reconnects and is judged again.
    this.unsubscribe.push(
      this.ctx.bus.on('member.changed', ({ member_id, change, fields }) => {
        if (change !== 'deleted' && !(change === 'updated' && fields?.some((f) => REVOKING_FIELDS.has(f)))) return;
        for (const c of [...this.clients]) {
          if (c.principal?.member_id !== member_id) continue;
          this.clients.delete(c);
          c.close();
          this.log.info({ member: c.who, change, fields }, 'event stream closed: the member changed');
        }
      }),
    );
    // Logging out ends the streams opened with that session (not the member's other sessions).
    this.unsubscribe.push(
      this.ctx.bus.on('session.ended', ({ session_id }) => {
        for (const c of [...this.clients]) {
          if (c.principal?.session_id !== session_id) continue;
          this.clients.delete(c);
          c.close();
          this.log.info({ member: c.who }, 'event stream closed: its session logged out');
        }
      }),
    );
    this.keepalive = setInterval(() => this.broadcastRaw(': keep-alive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
    for (const c of this.clients) c.close();
    this.clients.clear();
  }

  health(): ComponentHealth {
    return { status: 'ok', detail: `${this.clients.size} event stream clients` };
  }

  get clientCount(): number {
    return this.clients.size;
  }

  broadcast(event: string, data: unknown): void {
    this.broadcastRaw(`id: ${++this.seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcastRaw(chunk: string): void {
    for (const c of this.clients) c.send(chunk);
  }

  attach(res: ServerResponse, who: string, principal: Principal | null = null): void {
    if (this.clients.size >= MAX_CLIENTS) throw new HearthError('TOO_MANY_STREAMS', 'Too many event streams are open; try again later', 503);
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write('retry: 5000\n: connected\n\n');
    const client = new SseClient(res, who, principal, (c, why) => this.drop(c, why));
    this.clients.add(client);
    res.on('close', () => {
      this.clients.delete(client);
      client.closed = true;
    });
  }

  private drop(client: SseClient, why: string): void {
    this.log.warn({ member: client.who, why }, 'event stream client dropped');
    this.clients.delete(client);
    client.closed = true;
    client.res.destroy();
  }
}

export function eventRoutes(broadcaster: SseBroadcaster): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/events',
      { preHandler: requireSignedIn, schema: { tags: ['events'], summary: 'Server-sent events: entity state changes, approvals, alerts' } },
      async (request, reply) => {
        if (broadcaster.clientCount >= MAX_CLIENTS) throw new HearthError('TOO_MANY_STREAMS', 'Too many event streams are open; try again later', 503);
        reply.hijack();
        broadcaster.attach(reply.raw, request.principal?.username ?? 'unknown', request.principal);
      },
    );
  };
}
