import type { Bot } from 'grammy';
import type { Dialogue } from '../../dialogue/index.js';
import type { NotificationRouter } from '../../notify/router.js';
import type { HubContext } from '../../part/context.js';
import type { ComponentHealth, Service } from '../../core/lifecycle.js';
import { withTimeout } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import { randomToken } from '../../core/ids.js';
import { isoTime } from '../../core/clock.js';
import { CallbackSigner } from './callback.js';
import type { HearthContext, TelegramMembers } from './bot.js';
import { describe } from './errors.js';
import { TelegramChannel } from './sender.js';
import { ALLOWED_UPDATES, tgUpdateSchema } from './updates.js';

const MAX_CHAINS = 1_000;

/** What the bot builds on: the members (who is this chat), the router (it delivers), the dialogue (it talks). */
export interface TelegramDeps {
  members: TelegramMembers;
  router: NotificationRouter;
  dialogue: Dialogue;
}

/**
 * The grammY bot as a service. Long polling by default (works behind a home router); webhook
 * mode when a public URL exists. Start never waits for Telegram: without a network the hub
 * still starts and the bot keeps trying. The first middleware validates each update and
 * queues the rest of the chain (`telegramComposer`) on its chat, so a slow action (a lock
 * that takes seconds) does not hold up polling for everyone else.
 */
export class TelegramService implements Service {
  readonly name = 'telegram';
  readonly optional = true;
  readonly channel: TelegramChannel;
  readonly signer: CallbackSigner;
  readonly webhookSecret: string;
  private bot?: Bot<HearthContext>;
  private readonly log: Logger;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private connected = false;
  private lastError?: string;
  private unregister?: () => void;
  private readonly chains = new Map<number, Promise<void>>();

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: TelegramDeps,
  ) {
    this.log = ctx.log.child({ part: 'telegram' });
    this.signer = new CallbackSigner(this.secret('callback_key', () => randomToken(43)));
    const s = ctx.settings.get().telegram;
    this.webhookSecret = s.webhook_secret ?? this.secret('webhook_secret', () => randomToken(32));
    this.channel = new TelegramChannel(() => this.bot?.api, this.signer, s.token ?? '');
    if (s.token) deps.router.expectChannel(this.channel);
  }

  private get settings() {
    return this.ctx.settings.get().telegram;
  }

  /** A value generated once and kept in the database. */
  private secret(key: string, make: () => string): string {
    const db = this.ctx.store.db;
    const row = db.prepare('SELECT value FROM telegram_state WHERE key = ?').get(key) as { value: string } | undefined;
    if (row) return row.value;
    const value = make();
    db.prepare('INSERT OR IGNORE INTO telegram_state (key, value, updated_at) VALUES (?, ?, ?)').run(key, value, isoTime(this.ctx.clock.now()));
    return (db.prepare('SELECT value FROM telegram_state WHERE key = ?').get(key) as { value: string }).value;
  }

  get enabled(): boolean {
    return Boolean(this.settings.token);
  }

  /**
   * The bot's @username, from getMe (grammY asks once and keeps it); undefined without a token
   * or while the Bot API cannot be reached. The pairing link is https://t.me/<username>?start=<code>.
   */
  async botUsername(): Promise<string | undefined> {
    const bot = this.bot;
    if (!bot) return undefined;
    try {
      if (!bot.isInited()) await bot.init();
      return bot.botInfo.username;
    } catch (err) {
      this.log.warn({ err: describe(err, this.settings.token) }, 'getMe failed; the bot name is unknown for now');
      return undefined;
    }
  }

  async start(): Promise<void> {
    const s = this.settings;
    if (!s.token) return;
    // Loaded here, not at the top: a hub without a bot token never pays for grammY.
    const [{ Bot }, { telegramComposer }] = await Promise.all([import('grammy'), import('./bot.js')]);
    const bot = new Bot<HearthContext>(s.token, { client: { apiRoot: s.api_root.replace(/\/+$/, ''), timeoutSeconds: s.poll_timeout_s + 15 } });
    bot.use((c, next) => this.enqueue(c.update, next));
    bot.use(telegramComposer({ ctx: this.ctx, members: this.deps.members, dialogue: this.deps.dialogue, signer: this.signer, token: s.token }));
    bot.catch((err) => this.log.error({ err: describe(err.error, s.token) }, 'update handling failed'));
    this.bot = bot;
    this.running = true;
    this.unregister = this.deps.router.registerChannel(this.channel);
    this.loop = s.mode === 'webhook' ? this.webhookSetup(bot) : this.poll(bot);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    this.unregister?.();
    const bot = this.bot;
    if (bot?.isRunning()) await withTimeout(bot.stop(), 2_000, 'telegram stop').catch(() => undefined);
    await withTimeout(this.loop ?? Promise.resolve(), 2_000, 'telegram loop').catch(() => undefined);
    await withTimeout(Promise.allSettled([...this.chains.values()]), 3_000, 'telegram handlers').catch(() => undefined);
    this.bot = undefined;
  }

  health(): ComponentHealth {
    if (!this.enabled) return { status: 'disabled', detail: 'no telegram.token' };
    if (this.connected) return { status: 'ok', detail: `${this.settings.mode}; connected` };
    return { status: 'degraded', detail: `not connected to the Bot API${this.lastError ? `: ${this.lastError}` : ''}` };
  }

  /** An update from the webhook: through the bot's middleware, as polled ones go. */
  dispatch(raw: unknown): void {
    const bot = this.bot;
    if (!bot) {
      this.log.warn('Telegram update ignored: the bot is not running');
      return;
    }
    bot
      .handleUpdate(raw as Parameters<typeof bot.handleUpdate>[0])
      .catch((err: unknown) => this.log.error({ err: describe(err, this.settings.token) }, 'update handling failed'));
  }

  /** Validates an update and queues the rest of the middleware on its chat. */
  private enqueue(raw: unknown, rest: () => Promise<void>): void {
    const parsed = tgUpdateSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ issues: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`) }, 'unexpected Telegram update ignored');
      return;
    }
    const update = parsed.data;
    const chat = update.callback_query?.from.id ?? update.message?.from?.id ?? 0;
    if (this.chains.size >= MAX_CHAINS && !this.chains.has(chat)) {
      this.log.warn('too many chats at once; update dropped');
      return;
    }
    const prev = this.chains.get(chat) ?? Promise.resolve();
    const next = prev
      .then(rest)
      .catch((err: unknown) => this.log.error({ err: describe(err, this.settings.token) }, 'update handling failed'))
      .finally(() => {
        if (this.chains.get(chat) === next) this.chains.delete(chat);
      });
    this.chains.set(chat, next);
  }

  private async poll(bot: Bot<HearthContext>): Promise<void> {
    let backoff = 1_000;
    while (this.running) {
      try {
        await bot.start({
          allowed_updates: ALLOWED_UPDATES,
          timeout: this.settings.poll_timeout_s,
          onStart: (info) => {
            this.connected = true;
            this.lastError = undefined;
            backoff = 1_000;
            this.log.info({ bot: info.username }, 'Telegram bot polling');
          },
        });
      } catch (err) {
        this.lastError = describe(err, this.settings.token);
        this.log.warn({ err: this.lastError, retry_in_ms: backoff }, 'Telegram polling stopped; will retry');
      }
      this.connected = false;
      if (!this.running) break;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, 60_000);
    }
  }

  private async webhookSetup(bot: Bot<HearthContext>): Promise<void> {
    const url = this.settings.webhook_url;
    if (!url) {
      this.lastError = 'telegram.mode is webhook but telegram.webhook_url is not set';
      this.log.error(this.lastError);
      return;
    }
    let backoff = 1_000;
    while (this.running) {
      try {
        await bot.init();
        await bot.api.setWebhook(`${url.replace(/\/+$/, '')}/api/v1/telegram/webhook/${this.webhookSecret}`, {
          secret_token: this.webhookSecret,
          allowed_updates: [...ALLOWED_UPDATES],
        });
        this.connected = true;
        this.log.info('Telegram webhook registered');
        return;
      } catch (err) {
        this.lastError = describe(err, this.settings.token);
        this.log.warn({ err: this.lastError }, 'Telegram webhook setup failed; will retry');
      }
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, 60_000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
