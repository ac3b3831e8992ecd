import type { HubContext } from '../../part/context.js';
import type { Settings } from '../../config/schema.js';
import type { Service, ComponentHealth } from '../../core/lifecycle.js';
import { twilioClient, twilioErrorText, type TwilioClient } from './client.js';
import { twilioErrors } from './errors.js';

export interface PlaceCall {
  to: string;
  /** Paths under <twilio.public_url>, such as /hooks/twilio/checkin/<id>/answer. */
  answerPath: string;
  statusPath: string;
  amdPath?: string;
}

/**
 * The one place where Hearth spends money at Twilio: every call and SMS goes out here.
 * (Spend counting — usage kinds `call_minutes` and `sms` — is to be added here once the usage
 * part is on main.) Off, and saying why, until account_sid, auth_token and from are set.
 */
export class TwilioPhone implements Service {
  readonly name = 'twilio';
  private cached?: { key: string; client: TwilioClient };

  constructor(private readonly ctx: HubContext) {}

  start(): void {}
  stop(): void {}

  private get s() {
    return this.ctx.settings.get().twilio;
  }

  get enabled(): boolean {
    return Boolean(this.s.account_sid && this.s.auth_token && this.s.from);
  }

  /** Calls can be answered: configured, and Twilio knows where to post. */
  get answerable(): boolean {
    return this.enabled && Boolean(this.s.public_url);
  }

  health(): ComponentHealth {
    if (!this.enabled) return { status: 'disabled', detail: 'not configured (twilio.account_sid, auth_token, from)' };
    if (!this.s.public_url) return { status: 'degraded', detail: 'twilio.public_url is not set: calls cannot be answered' };
    return { status: 'ok', detail: `calls and SMS from ${this.s.from}` };
  }

  /** The exact URL Twilio calls for a path (and the one its signature covers). */
  url(path: string): string {
    if (!this.s.public_url) throw twilioErrors.error('TWILIO_NOT_READY', 'Set twilio.public_url so that Twilio can reach the hub');
    return `${this.s.public_url.replace(/\/+$/, '')}${path}`;
  }

  private client(): TwilioClient {
    const s = this.s;
    const key = `${s.account_sid}:${s.auth_token}:${s.api_root}`;
    if (this.cached?.key !== key) {
      const client = twilioClient(s);
      if (!client || !s.from) throw twilioErrors.error('TWILIO_NOT_CONFIGURED', 'Twilio is not set up (twilio.account_sid, auth_token and from)');
      this.cached = { key, client };
    }
    return this.cached.client;
  }

  /** Places an outbound call with status callbacks and asynchronous answering-machine detection; returns its SID. */
  async call(p: PlaceCall): Promise<string> {
    const call = await this.client().calls.create({
      to: p.to,
      from: this.s.from!,
      url: this.url(p.answerPath),
      statusCallback: this.url(p.statusPath),
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      timeout: this.s.ring_seconds,
      ...(p.amdPath ? { machineDetection: 'DetectMessageEnd', asyncAmd: 'true', asyncAmdStatusCallback: this.url(p.amdPath) } : {}),
    });
    return call.sid;
  }

  /** Replaces what a live call is doing (a short message for an answering machine). */
  async updateCall(sid: string, twiml: string): Promise<void> {
    await this.client().calls(sid).update({ twiml });
  }

  async sms(to: string, body: string): Promise<string> {
    const msg = await this.client().messages.create({ to, from: this.s.from!, body: body.slice(0, 1500) });
    return msg.sid;
  }
}

/** Asks Twilio for the account: the real test of a SID and token. */
export async function checkTwilioAccount(s: Settings['twilio']): Promise<{ ok: true; detail: string } | { ok: false; detail: string }> {
  const client = twilioClient(s);
  if (!client) return { ok: false, detail: 'twilio.account_sid and twilio.auth_token are both needed' };
  try {
    const account = await client.api.v2010.accounts(s.account_sid!).fetch();
    if (account.status !== 'active') return { ok: false, detail: `Twilio says the account is ${account.status}` };
    return { ok: true, detail: `Twilio accepted the credentials (account "${account.friendlyName}")` };
  } catch (err) {
    return { ok: false, detail: twilioErrorText(err) };
  }
}
