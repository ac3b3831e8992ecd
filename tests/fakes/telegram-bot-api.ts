import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake Telegram Bot API server on loopback, for grammY's `client.apiRoot`. It speaks the
 * documented shapes (https://core.telegram.org/bots/api): `/bot<token>/<method>` with JSON or
 * form bodies, `{ok:true,result}` / `{ok:false,error_code,description,parameters}`;
 * getUpdates with offset/timeout long-poll semantics (and 409 while a webhook is set);
 * sendMessage returning a Message. Tests queue updates from "users", inject 429/5xx and take
 * the whole server down (connections reset) and back up on the same port.
 */
export interface TgUser {
  id: number;
  is_bot: false;
  first_name: string;
  username?: string;
  language_code?: string;
}

export interface TgMessage {
  message_id: number;
  from?: TgUser | typeof BOT_USER;
  chat: { id: number; type: 'private'; first_name?: string; username?: string };
  date: number;
  text?: string;
  reply_markup?: { inline_keyboard: { text: string; callback_data?: string }[][] };
  [k: string]: unknown;
}

export interface SentCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

interface Failure {
  method: string | '*';
  remaining: number;
  error_code: number;
  description: string;
  retry_after?: number;
}

export const BOT_USER = { id: 7_000_000_001, is_bot: true as const, first_name: 'Hearth', username: 'hearth_test_bot' };

export class FakeTelegram {
  readonly token: string;
  private server?: Server;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private updates: { update_id: number; [k: string]: unknown }[] = [];
  private nextUpdateId = 100_000;
  private nextMessageId = 1;
  private waiters = new Set<() => void>();
  private failures: Failure[] = [];
  private isDown = false;
  /** Every method call that reached the server (not those refused while down). */
  readonly calls: SentCall[] = [];
  /** Messages the bot sent, by message id, as they are now (edits applied). */
  readonly messages = new Map<number, TgMessage & { deleted?: boolean }>();
  readonly callbackAnswers: { callback_query_id: string; text?: string; show_alert?: boolean }[] = [];
  webhook: { url: string; secret_token?: string } | null = null;
  /** Long polls the client gave up on (closed the connection) before they were answered. */
  abortedPolls = 0;
  /** Confirmed offset: updates below it are gone for good, as at Telegram. */
  private confirmed = 0;

  constructor(token = '123456:TEST-token_abcdefghijklmnopqrstuv') {
    this.token = token;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) w();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** The API goes away: every connection is reset until `up()`. */
  down(): void {
    this.isDown = true;
    for (const w of this.waiters) w();
    for (const s of this.sockets) s.destroy();
  }

  up(): void {
    this.isDown = false;
  }

  /** The next `count` calls of `method` ('*' = any) fail with this error. */
  fail(method: string | '*', count: number, error_code: number, description: string, retry_after?: number): void {
    this.failures.push({ method, remaining: count, error_code, description, retry_after });
  }

  // ---- what users do -----------------------------------------------------------------------

  user(id: number, first_name: string, username?: string): TgUser {
    return { id, is_bot: false, first_name, ...(username ? { username } : {}), language_code: 'en' };
  }

  /** A raw update of any shape (for bad-input tests); update_id is added. */
  pushRaw(update: Record<string, unknown>): number {
    const update_id = this.nextUpdateId++;
    this.updates.push({ update_id, ...update });
    for (const w of this.waiters) w();
    return update_id;
  }

  say(from: TgUser, text: string): number {
    return this.pushRaw({
      message: {
        message_id: this.nextMessageId++,
        from,
        chat: { id: from.id, type: 'private', first_name: from.first_name },
        date: now(),
        text,
        ...(text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] } : {}),
      },
    });
  }

  /** A user presses an inline button under one of the bot's messages. */
  press(from: TgUser, message: TgMessage, data: string): string {
    const id = `${from.id}${this.nextUpdateId}`;
    this.pushRaw({ callback_query: { id, from, message, chat_instance: `ci${from.id}`, data } });
    return id;
  }

  // ---- what tests read ---------------------------------------------------------------------

  sentTo(chatId: number): TgMessage[] {
    return [...this.messages.values()].filter((m) => m.chat.id === chatId && !m.deleted);
  }

  callsOf(method: string): SentCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Updates not yet confirmed by the bot. */
  get pendingUpdates(): number {
    return this.updates.filter((u) => u.update_id >= this.confirmed).length;
  }

  async waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}; sent: ${JSON.stringify([...this.messages.values()].map((m) => [m.chat.id, m.text]))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---- the server --------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.isDown) {
      req.socket.destroy();
      return;
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? '').split('?')[0]!);
    const body = await readBody(req);
    if (!m) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    let params: Record<string, unknown>;
    try {
      params = parseParams(req.headers['content-type'] ?? '', body, req.url ?? '');
    } catch {
      return send(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid request body' });
    }
    this.calls.push({ method, params, at: Date.now() });
    const failure = this.failures.find((f) => (f.method === '*' || f.method === method) && f.remaining > 0);
    if (failure && method !== 'getUpdates' && method !== 'getMe') {
      failure.remaining--;
      return send(res, failure.error_code, {
        ok: false,
        error_code: failure.error_code,
        description: failure.description,
        ...(failure.retry_after !== undefined ? { parameters: { retry_after: failure.retry_after } } : {}),
      });
    }
    try {
      const result = await this.call(method, params, res);
      if (result === CLOSED) return;
      if (result instanceof ApiError) return send(res, result.code, { ok: false, error_code: result.code, description: result.message });
      send(res, 200, { ok: true, result });
    } catch (err) {
      send(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${(err as Error).message}` });
    }
  }

  private async call(method: string, p: Record<string, unknown>, res: ServerResponse): Promise<unknown> {
    switch (method) {
      case 'getMe':
        return { ...BOT_USER, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case 'deleteWebhook':
        this.webhook = null;
        if (p.drop_pending_updates) this.updates = [];
        return true;
      case 'setWebhook':
        this.webhook = { url: String(p.url), ...(p.secret_token ? { secret_token: String(p.secret_token) } : {}) };
        return true;
      case 'getWebhookInfo':
        return { url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: this.pendingUpdates };
      case 'getUpdates':
        return this.getUpdates(p, res);
      case 'sendMessage': {
        const chatId = Number(p.chat_id);
        if (!Number.isSafeInteger(chatId)) return new ApiError(400, 'Bad Request: chat not found');
        if (typeof p.text !== 'string' || p.text.length === 0) return new ApiError(400, 'Bad Request: message text is empty');
        if (p.text.length > 4096) return new ApiError(400, 'Bad Request: message is too long');
        const msg: TgMessage = {
          message_id: this.nextMessageId++,
          from: BOT_USER,
          chat: { id: chatId, type: 'private' },
          date: now(),
          text: p.text,
          ...(p.reply_markup ? { reply_markup: asObject(p.reply_markup) as TgMessage['reply_markup'] } : {}),
        };
        this.messages.set(msg.message_id, msg);
        return msg;
      }
      case 'editMessageText':
      case 'editMessageReplyMarkup': {
        const msg = this.messages.get(Number(p.message_id));
        if (!msg || msg.chat.id !== Number(p.chat_id)) return new ApiError(400, 'Bad Request: message to edit not found');
        const markup = p.reply_markup ? (asObject(p.reply_markup) as TgMessage['reply_markup']) : undefined;
        if (method === 'editMessageText') {
          if (msg.text === p.text && JSON.stringify(msg.reply_markup) === JSON.stringify(markup))
            return new ApiError(400, 'Bad Request: message is not modified');
          msg.text = String(p.text);
        }
        if (markup && markup.inline_keyboard.length) msg.reply_markup = markup;
        else delete msg.reply_markup;
        msg.edit_date = now();
        return msg;
      }
      case 'answerCallbackQuery':
        this.callbackAnswers.push({
          callback_query_id: String(p.callback_query_id),
          ...(p.text ? { text: String(p.text) } : {}),
          ...(p.show_alert ? { show_alert: true } : {}),
        });
        return true;
      case 'deleteMessage': {
        const msg = this.messages.get(Number(p.message_id));
        if (msg) msg.deleted = true;
        return true; // user messages are not kept here; deleting them "works"
      }
      case 'setMyCommands':
        return true;
      default:
        return new ApiError(404, 'Not Found: method not found');
    }
  }

  private async getUpdates(p: Record<string, unknown>, res: ServerResponse): Promise<unknown> {
    if (this.webhook) return new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const offset = Number(p.offset ?? 0);
    if (offset > 0) {
      this.confirmed = Math.max(this.confirmed, offset);
      this.updates = this.updates.filter((u) => u.update_id >= offset);
    }
    const limit = Math.min(Math.max(Number(p.limit ?? 100), 1), 100);
    const timeout = Math.min(Number(p.timeout ?? 0), 50);
    const ready = () => this.updates.filter((u) => u.update_id >= this.confirmed).slice(0, limit);
    let batch = ready();
    if (batch.length === 0 && timeout > 0) {
      let closed = false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, timeout * 1000);
        this.waiters.add(wake);
        res.once('close', () => {
          if (!res.writableFinished) closed = true; // the client went away (aborted poll)
          wake();
        });
      });
      if (closed) this.abortedPolls++;
      if (closed || this.isDown) return CLOSED;
      batch = ready();
    }
    return batch;
  }
}

const CLOSED = Symbol('closed');
class ApiError {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

const now = (): number => Math.floor(Date.now() / 1000);

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => resolve(data));
    req.on('error', () => resolve(data));
  });
}

function parseParams(contentType: string, body: string, url: string): Record<string, unknown> {
  const query = Object.fromEntries(new URL(url, 'http://x').searchParams);
  if (!body) return query;
  if (contentType.includes('application/json')) return { ...query, ...(JSON.parse(body) as Record<string, unknown>) };
  if (contentType.includes('application/x-www-form-urlencoded')) return { ...query, ...Object.fromEntries(new URLSearchParams(body)) };
  if (contentType.includes('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
    const b = boundary?.[1] ?? boundary?.[2];
    const out: Record<string, unknown> = { ...query };
    if (!b) return out;
    for (const part of body.split(`--${b}`)) {
      const mm = /name="([^"]+)"\r\n(?:[^\r\n]*\r\n)*\r\n([\s\S]*?)\r\n$/.exec(part);
      if (mm) out[mm[1]!] = mm[2];
    }
    return out;
  }
  return { ...query, ...(JSON.parse(body) as Record<string, unknown>) };
}

/** Form bodies carry objects as JSON strings. */
function asObject(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}
