import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { HubContext } from '../../part/context.js';
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import { twilioLib } from './lib.js';

export const HOOKS_PREFIX = '/hooks/twilio';

/** What Twilio posts (form fields); every field a short string, the ids shaped as Twilio's. */
export const twilioParamsSchema = z
  .object({
    AccountSid: z.string().regex(/^AC[0-9a-f]{32}$/i),
    CallSid: z
      .string()
      .regex(/^CA[0-9a-f]{32}$/i)
      .optional(),
    MessageSid: z
      .string()
      .regex(/^(SM|MM)[0-9a-f]{32}$/i)
      .optional(),
    From: z.string().max(64).optional(),
    To: z.string().max(64).optional(),
    CallStatus: z.string().max(32).optional(),
    Digits: z.string().max(32).optional(),
    SpeechResult: z.string().max(2000).optional(),
    AnsweredBy: z.string().max(32).optional(),
  })
  .catchall(z.string().max(4000))
  .refine((p) => Object.keys(p).length <= 80, 'too many fields');
export type TwilioParams = z.output<typeof twilioParamsSchema>;

export interface HookResult {
  /** TwiML (or an empty <Response/>) for Twilio, answered at once. */
  twiml: string;
  /** Slow work, run after the answer is sent. */
  after?: () => void | Promise<void>;
}

/** A handler for `/hooks/twilio/<kind>/...`: `rest` is the path after the kind. Runs inside the replay transaction. */
export type HookHandler = (rest: string[], params: TwilioParams) => HookResult;

export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * Twilio's webhooks on the hub, outside /api/v1 auth: the signature is the authentication.
 * Each request is checked with the library's validator against the exact public URL
 * (<twilio.public_url> + path + query), parsed with zod, and de-duplicated: the idempotency
 * token and CallSid+step+status are stored with the answer in the same transaction as the
 * handler's writes, so a replay gets the same TwiML and acts once.
 */
export class TwilioHooks {
  private readonly handlers = new Map<string, HookHandler>();
  private readonly log: Logger;
  private lastPrune = 0;

  constructor(
    private readonly ctx: HubContext,
    /** Sees every webhook acted on (not replays), inside its transaction: the phone counts call minutes here. */
    private readonly meter?: (query: URLSearchParams, params: TwilioParams) => void,
  ) {
    this.log = ctx.log.child({ part: 'twilio-hooks' });
  }

  register(kind: string, handler: HookHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Handles one verified request body; exported for the relay path (the same answer either way). */
  handle(path: string, body: Record<string, string>, token: string | undefined): { status: number; twiml: string } {
    const parsed = twilioParamsSchema.safeParse(body);
    const s = this.ctx.settings.get().twilio;
    if (!parsed.success || parsed.data.AccountSid !== s.account_sid) {
      this.log.warn({ path, err: parsed.success ? 'another account' : parsed.error.issues[0]?.message }, 'Twilio webhook refused: bad body');
      return { status: 400, twiml: EMPTY_TWIML };
    }
    const [kind, ...rest] = path
      .slice(HOOKS_PREFIX.length + 1)
      .split('?')[0]!
      .split('/');
    const handler = this.handlers.get(kind ?? '');
    if (!handler) return { status: 404, twiml: EMPTY_TWIML };
    const p = parsed.data;
    const keys = [
      token ? `t:${token}` : undefined,
      (p.CallSid ?? p.MessageSid) ? `s:${p.CallSid ?? p.MessageSid}:${path}:${p.CallStatus ?? ''}:${p.AnsweredBy ?? ''}` : undefined,
    ].filter((k): k is string => k !== undefined);
    const db = this.ctx.store.db;
    const now = this.ctx.clock.now();
    let after: HookResult['after'];
    const twiml = db.transaction(() => {
      for (const key of keys) {
        const seen = db.prepare('SELECT response FROM twilio_webhooks WHERE key = ?').get(key) as { response: string } | undefined;
        if (seen) {
          this.log.info({ path, call: p.CallSid }, 'Twilio webhook replayed: answered again, not acted on');
          return seen.response;
        }
      }
      const result = handler(rest, p);
      this.meter?.(new URLSearchParams(path.split('?')[1] ?? ''), p);
      after = result.after;
      for (const key of keys) db.prepare('INSERT INTO twilio_webhooks (key, response, at) VALUES (?, ?, ?)').run(key, result.twiml, now);
      return result.twiml;
    })();
    if (after) {
      const work = after;
      setImmediate(() => {
        Promise.resolve()
          .then(work)
          .catch((err: unknown) => this.log.error({ path, err: errorMessage(err) }, 'work after a Twilio webhook failed'));
      });
    }
    this.prune(now);
    return { status: 200, twiml };
  }

  /** True when the signature matches the exact URL Twilio called and the POST parameters. */
  verify(path: string, body: Record<string, string>, signature: string | undefined): boolean {
    const s = this.ctx.settings.get().twilio;
    if (!s.auth_token || !s.public_url || !signature) return false;
    const url = `${s.public_url.replace(/\/+$/, '')}${path}`;
    return twilioLib().validateRequest(s.auth_token, signature, url, body);
  }

  private prune(now: number): void {
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    this.ctx.store.db.prepare('DELETE FROM twilio_webhooks WHERE at < ?').run(now - 7 * 86_400_000);
  }
}

/** POST /hooks/twilio/*: form bodies, signature first, TwiML back. */
export function twilioHookRoutes(hooks: TwilioHooks, ctx: HubContext): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.post(`${HOOKS_PREFIX}/*`, { schema: { hide: true } }, async (req, reply) => {
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, string>;
      const signature = req.headers['x-twilio-signature'];
      if (!hooks.verify(req.url, body, typeof signature === 'string' ? signature : undefined)) {
        ctx.log.warn({ path: req.url.split('?')[0] }, 'Twilio webhook refused: the signature does not match');
        return reply.status(403).send({ error: { code: 'BAD_SIGNATURE', message: 'X-Twilio-Signature does not match this URL and body' } });
      }
      const token = req.headers['i-twilio-idempotency-token'];
      const { status, twiml } = hooks.handle(req.url, body, typeof token === 'string' ? token.slice(0, 200) : undefined);
      return reply.status(status).type('text/xml').send(twiml);
    });
  };
}
