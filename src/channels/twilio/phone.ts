import type { HubContext } from '../../part/context.js';
import type { Settings } from '../../config/schema.js';
import type { Service, ComponentHealth } from '../../core/lifecycle.js';
import type { UsageLedger } from '../../usage/index.js';
import { twilioClient, twilioErrorText, type TwilioClient } from './client.js';
import type { TwilioParams } from './hooks.js';

/** Who a call or SMS is counted against, and whether a cap may stop it. */
export interface Spend {
  member_id: string;
  /** A help escalation or an alert to an owner: counted, never refused by a cap. */
  essential: boolean;
}
import { twilioErrors } from './errors.js';

export interface PlaceCall {
  to: string;
  /** Paths under <twilio.public_url>, such as /hooks/twilio/checkin/<id>/answer. */
  answerPath: string;
  statusPath: string;
  amdPath?: string;
  spend?: Spend;
}

/** The query parameter on a call's status callback that names whose minutes it is (inside the signed URL). */
const BILL = 'bill';

/**
 * The one place where Hearth spends money at Twilio: every call and SMS goes out here, and is
 * counted here through the usage part (kinds `sms` and `call_minutes`, per member and month).
 * A cap refuses a call or SMS before it is placed (USAGE_CAP_REACHED) unless it is essential; a
 * call's minutes are counted from the CallDuration of its `completed` status callback, whose URL
 * names the member (`?bill=`, covered by Twilio's signature). Off, and saying why, until
 * account_sid, auth_token and from are set.
 */
export class TwilioPhone implements Service {
  readonly name = 'twilio';
  private cached?: { key: string; client: TwilioClient };

  constructor(
    private readonly ctx: HubContext,
    private readonly usage?: UsageLedger,
  ) {}

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
    if (p.spend && !p.spend.essential) this.usage?.check(p.spend.member_id, 'call_minutes');
    const bill = p.spend && this.usage ? `${p.statusPath.includes('?') ? '&' : '?'}${BILL}=${encodeURIComponent(p.spend.member_id)}` : '';
    const call = await this.client().calls.create({
      to: p.to,
      from: this.s.from!,
      url: this.url(p.answerPath),
      statusCallback: this.url(p.statusPath + bill),
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

  async sms(to: string, body: string, spend?: Spend): Promise<string> {
    const held = spend && !spend.essential ? this.usage?.reserve(spend.member_id, 'sms', 1) : undefined;
    try {
      const msg = await this.client().messages.create({ to, from: this.s.from!, body: body.slice(0, 1500) });
      if (held) this.usage!.settle(held, 1);
      else if (spend) this.usage?.record(spend.member_id, 'sms', 1);
      return msg.sid;
    } catch (err) {
      if (held) this.usage!.release(held);
      throw err;
    }
  }

  /**
   * Counts a finished call's minutes (rounded up, as Twilio bills) from its status callback.
   * Called by the webhooks inside their replay transaction, so a replayed callback counts once.
   */
  meter(query: URLSearchParams, p: TwilioParams): void {
    const member = query.get(BILL);
    if (member) this.countMinutes(member, p);
  }

  /** A completed call's minutes to `memberId` (an inbound call's status callback names no one: the caller's number does). */
  countMinutes(memberId: string, p: TwilioParams): void {
    const seconds = Number(p.CallDuration);
    if (!this.usage || memberId.length > 64 || p.CallStatus !== 'completed' || !Number.isFinite(seconds) || seconds <= 0) return;
    this.usage.record(memberId, 'call_minutes', Math.ceil(seconds / 60));
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
