import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../../part/context.js';
import type { EventName } from '../../core/bus.js';
import type { Service, ComponentHealth } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import { requireSignedIn } from '../../core/guard.js';
import type { Principal } from '../../core/principal.js';
import type { StreamEvents } from '../../part/define.js';
import { webErrors } from './errors.js';

const KEEPALIVE_MS = 15_000;
/** Messages a client may have waiting; a slower client is dropped rather than buffered forever. */
const MAX_QUEUED = 500;
const MAX_QUEUED_BYTES = 1024 * 1024;
const MAX_CLIENTS = 200;
/**
 * Streams one member may hold (tabs, phones); at the cap their own oldest stream gives way. Well
 * below the total, so that no member can take every slot from the others.
 */
const MAX_PER_MEMBER = 16;
/** Member changes after which an open stream no longer reflects what the member may see. */
const REVOKING_FIELDS = new Set(['disabled', 'role', 'password']);

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
  'X-Content-Type-Options': 'nosniff',
};

class SseClient {
  private queue: string[] = [];
  private queuedBytes = 0;
  private blocked = false;
  closed = false;

  /** When the session or token it was opened with stops being valid (ms), or undefined. */
  readonly expiresAt: number | undefined;

  constructor(
    readonly res: ServerResponse,
    readonly who: string,
    readonly principal: Principal | null,
    private readonly onDrop: (client: SseClient, why: string) => void,
  ) {
    this.expiresAt = principal?.expires_at ? Date.parse(principal.expires_at) : undefined;
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
          for (const c of this.live()) if (c.principal && audience(c.principal, payload)) c.send(chunk);
        }),
      );
    }
    // A stream is authorised once, when it opens. A member deleted, disabled, given another role
    // or a new password (sessions revoked) must not go on receiving the home's events on it: close
    // their streams; the browser reconnects and is judged again.
    this.unsubscribe.push(
      this.ctx.bus.on('member.changed', ({ member_id, change, fields }) => {
        if (change !== 'deleted' && !(change === 'updated' && fields?.some((f) => REVOKING_FIELDS.has(f)))) return;
        this.closeWhere((c) => c.principal?.member_id === member_id, 'the member changed');
      }),
    );
    // Logging out ends the streams opened with that session (not the member's other sessions);
    // revoking a token ends the streams opened with it. Expiry is checked before every send.
    this.unsubscribe.push(
      this.ctx.bus.on('session.ended', ({ session_id }) => this.closeWhere((c) => c.principal?.session_id === session_id, 'its session logged out')),
      this.ctx.bus.on('token.revoked', ({ token_id }) => this.closeWhere((c) => c.principal?.token_id === token_id, 'its API token was revoked')),
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
    for (const c of this.live()) c.send(chunk);
  }

  /** The open streams, after closing those whose session or token has expired. */
  private live(): SseClient[] {
    const now = this.ctx.clock.now();
    this.closeWhere((c) => c.expiresAt !== undefined && c.expiresAt <= now, 'its session or API token expired');
    return [...this.clients];
  }

  private closeWhere(match: (c: SseClient) => boolean, why: string): void {
    for (const c of [...this.clients]) {
      if (!match(c)) continue;
      this.clients.delete(c);
      c.close();
      this.log.info({ member: c.who, why }, 'event stream closed');
    }
  }

  /**
   * Makes room for one more stream of `memberKey`, or throws 503 TOO_MANY_STREAMS. A member at
   * their cap loses their own oldest stream; when every slot is taken, the member holding the most
   * streams loses their oldest one, as long as they hold more than the newcomer, so no one starves.
   */
  admit(memberKey: string): void {
    const byMember = new Map<string, SseClient[]>();
    for (const c of this.clients) {
      const key = c.principal?.member_id ?? c.who;
      const list = byMember.get(key);
      if (list) list.push(c);
      else byMember.set(key, [c]); // insertion order: oldest first
    }
    const own = byMember.get(memberKey) ?? [];
    if (own.length >= MAX_PER_MEMBER) return this.closeWhere((c) => c === own[0], 'its member opened too many streams');
    if (this.clients.size < MAX_CLIENTS) return;
    let top: SseClient[] = [];
    for (const list of byMember.values()) if (list.length > top.length) top = list;
    if (top.length <= own.length + 1) throw webErrors.error('TOO_MANY_STREAMS', 'Too many event streams are open; try again later');
    this.closeWhere((c) => c === top[0], 'the stream table is full and its member holds the most streams');
  }

  attach(res: ServerResponse, who: string, principal: Principal | null = null): void {
    this.admit(principal?.member_id ?? who);
    res.socket?.setNoDelay(true);
    res.writeHead(200, SSE_HEADERS);
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
        // HEAD: the headers a GET would get, and no body (RFC 9110 §9.3.2), never an open stream.
        if (request.method === 'HEAD') return reply.status(200).headers(SSE_HEADERS).send();
        const who = request.principal?.username ?? 'unknown';
        broadcaster.admit(request.principal?.member_id ?? who);
        reply.hijack();
        broadcaster.attach(reply.raw, who, request.principal);
      },
    );
  };
}
