import type { Logger } from '../core/logger.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import { randomToken } from '../core/ids.js';
import type { Settings } from '../config/schema.js';
import { rootedRequestClient, twilioErrorText } from '../channels/twilio/client.js';
import { twilioLib } from '../channels/twilio/lib.js';
import { EMPTY_TWIML, twilioParamsSchema, type TwilioParams } from '../channels/twilio/hooks.js';
import { ask, sayAndHangUp } from '../channels/twilio/twiml.js';
import { classify, outcomeOfStatus } from '../checkins/model.js';
import { hookResultSchema, profileDigest, telephonyProfileSchema, type FallbackRecord, type TelephonyProfile } from '../link/telephony.js';
import type { RelayBroker } from './broker.js';
import type { TelephonyState } from './telephony-store.js';

type RelaySettings = Settings['relay'];
type Person = TelephonyProfile['owners'][number];

export interface HookAnswer {
  status: number;
  twiml?: string;
  error?: { code: string; message: string };
}

/** Paths the hub's handlers live under; the relay's webhook URL for a hub is <public_url>/hooks/<hub_id> + this. */
const HUB_PREFIX = '/hooks/twilio/';

/**
 * Hybrid-mode telephony on the relay. Twilio calls `<relay.public_url>/hooks/<hub_id>/hooks/twilio/…`;
 * the relay checks the signature against that exact URL with the hub's auth token (pulled from
 * the hub over the signed RPC, never configured by hand), de-duplicates, and forwards the
 * webhook to the hub as the RPC `twilio.hook`. When the hub does not answer within
 * `relay.hook_timeout_ms` it answers with its own safe TwiML, texts the contacts the hub last
 * synced, and keeps a record that it hands to the hub when the hub is back. It also texts the
 * owners when their hub has been offline longer than `relay.offline_notice_after_s`.
 */
export class RelayTelephony implements Service {
  readonly name = 'telephony';
  private timer?: NodeJS.Timeout;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private lastPrune = 0;
  fallbacks = 0;
  forwarded = 0;

  constructor(
    private readonly s: RelaySettings,
    private readonly log: Logger,
    private readonly broker: RelayBroker,
    readonly state: TelephonyState,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.unsubscribe.push(this.broker.onStatusChange((hubId, online) => this.track(this.onStatus(hubId, online))));
    this.unsubscribe.push(
      this.broker.onUp((msg) => {
        if (msg.type === 'telephony.changed') this.track(this.syncIfChanged(msg.hub_id, String(msg.data.digest ?? '')));
      }),
    );
    const every = Math.min(30_000, Math.max(250, this.s.offline_notice_after_s * 250));
    this.timer = setInterval(() => this.track(this.tick()), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.allSettled([...this.pending]);
  }

  health(): ComponentHealth {
    if (!this.s.public_url) return { status: 'ok', detail: 'relay.public_url is not set: Twilio webhooks are not relayed' };
    return { status: 'ok', detail: `${this.forwarded} webhooks forwarded, ${this.fallbacks} answered by the relay` };
  }

  /** Tests: waits for work started after answers and status changes. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ---- webhooks ----------------------------------------------------------------------------

  async handleHook(hubId: string, url: string, body: Record<string, string>, signature: string | undefined, token: string | undefined): Promise<HookAnswer> {
    const refused = (message: string): HookAnswer => ({ status: 403, error: { code: 'BAD_SIGNATURE', message } });
    if (!this.s.public_url) return { status: 404, error: { code: 'NOT_FOUND', message: 'this relay does not relay Twilio webhooks' } };
    const synced = await this.state.profile(hubId);
    if (!synced) return refused('this relay has no Twilio settings for that hub yet');
    const profile = synced.profile;
    const publicUrl = `${this.s.public_url.replace(/\/+$/, '')}${url}`;
    if (!signature || !twilioLib().validateRequest(profile.auth_token, signature, publicUrl, body)) {
      this.log.warn({ hub_id: hubId, path: url.split('?')[0] }, 'Twilio webhook refused at the relay: the signature does not match');
      return refused('X-Twilio-Signature does not match this URL and body');
    }
    const parsed = twilioParamsSchema.safeParse(body);
    if (!parsed.success || parsed.data.AccountSid !== profile.account_sid) return { status: 400, twiml: EMPTY_TWIML };
    const p = parsed.data;
    const path = url.slice(`/hooks/${hubId}`.length);
    if (!path.startsWith(HUB_PREFIX)) return { status: 404, twiml: EMPTY_TWIML };
    const sid = p.CallSid ?? p.MessageSid;
    const keys = [token ? `t:${token}` : undefined, sid ? `s:${sid}:${path}:${p.CallStatus ?? ''}:${p.AnsweredBy ?? ''}:${p.Digits ?? ''}` : undefined].filter(
      (k): k is string => k !== undefined,
    );
    const replay = await this.state.claimHook(hubId, keys, this.now());
    if (replay !== null) {
      this.log.info({ hub_id: hubId, path }, 'Twilio webhook replayed at the relay: answered again, not acted on');
      return { status: 200, twiml: replay || EMPTY_TWIML };
    }
    const res = await this.broker.call(hubId, 'twilio.hook', { path, params: body, ...(token ? { token } : {}) }, { timeoutMs: this.s.hook_timeout_ms });
    const fromHub = res.ok ? hookResultSchema.safeParse(res.result) : undefined;
    let answer: HookAnswer;
    if (fromHub?.success) {
      this.forwarded++;
      answer = { status: fromHub.data.status, twiml: fromHub.data.twiml };
    } else {
      this.fallbacks++;
      this.log.warn({ hub_id: hubId, path, err: res.ok ? 'malformed answer' : res.error.code }, 'the hub did not answer a Twilio webhook: the relay answers');
      answer = { status: 200, twiml: this.fallback(hubId, path, p, profile) };
    }
    await this.state.answerHook(hubId, keys, answer.twiml ?? EMPTY_TWIML);
    return answer;
  }

  /** The relay's own answer while the hub is away; what it does after the answer is tracked. */
  private fallback(hubId: string, path: string, p: TwilioParams, profile: TelephonyProfile): string {
    const [kind, attemptId, step, n] = path.slice(HUB_PREFIX.length).split('?')[0]!.split('/');
    const elder = profile.elders.find((e) => e.phones.includes(p.To ?? '') || e.phones.includes(p.From ?? ''));
    const base = { id: `rfb_${randomToken(16)}`, at: this.now(), path, call_sid: p.CallSid, member_id: elder?.member_id };
    const act = (outcome: FallbackRecord['outcome'], escalate: boolean, extra: Partial<FallbackRecord> = {}): void =>
      this.track(
        this.act(hubId, profile, elder, { ...base, attempt_id: kind === 'checkin' ? attemptId : undefined, outcome, escalated_to: [], ...extra }, escalate),
      );
    if (kind === 'checkin' && (step === 'answer' || step === 'gather')) {
      const meaning = step === 'gather' ? classify({ digits: p.Digits, speech: p.SpeechResult }) : 'unclear';
      const heard = { digits: p.Digits, said: p.SpeechResult?.slice(0, 500) };
      if (meaning === 'ok') {
        act('ok', false, heard);
        return sayAndHangUp(["Thank you. We couldn't reach your home hub, but we've noted that you're fine. Goodbye."]);
      }
      if (meaning === 'help') {
        act('help', true, heard);
        return sayAndHangUp(["I'm telling your family right now. Someone will call you very soon."]);
      }
      if (step === 'answer' || Number(n) < 2) {
        const again = `${this.s.public_url!.replace(/\/+$/, '')}/hooks/${hubId}${HUB_PREFIX}checkin/${attemptId}/gather/2`;
        return ask(["Hello, this is Hearth. We couldn't reach your home hub.", "Press 1 if you're fine, or 2 if you need help."], again);
      }
      act('unclear', true, heard);
      return sayAndHangUp(["I didn't catch that, so I'm letting your family know. Goodbye."]);
    }
    if (kind === 'checkin' && step === 'status') {
      const never = outcomeOfStatus(p.CallStatus ?? '');
      if (never) act(never, true);
      return EMPTY_TWIML;
    }
    if (kind === 'checkin') return EMPTY_TWIML;
    act('answered_politely', false);
    return sayAndHangUp(["Sorry, the home hub can't be reached right now. Please try again later. Goodbye."]);
  }

  /** Texts the elder's contacts in order (when asked to), then keeps the record for the hub. */
  private async act(
    hubId: string,
    profile: TelephonyProfile,
    elder: TelephonyProfile['elders'][number] | undefined,
    record: FallbackRecord,
    escalate: boolean,
  ) {
    if (escalate && elder) {
      const what = record.outcome === 'help' ? 'asked for help on the check-in call' : 'did not answer the check-in call';
      const text = `Hearth: ${elder.name} ${what}, and their home hub can't be reached. Please check on ${elder.name} now.`;
      record.escalated_to = await this.sms(profile, elder.contacts, text);
    }
    await this.state.addRecord(hubId, record);
    this.log.info({ hub_id: hubId, record: record.id, outcome: record.outcome, told: record.escalated_to.length }, 'relay fallback recorded');
  }

  private async sms(profile: TelephonyProfile, people: Person[], text: string): Promise<FallbackRecord['escalated_to']> {
    const client = twilioLib()(profile.account_sid, profile.auth_token, { httpClient: rootedRequestClient(this.s.twilio_api_root), autoRetry: false });
    const out: FallbackRecord['escalated_to'] = [];
    for (const person of people) {
      try {
        const msg = await client.messages.create({ to: person.phone, from: profile.from, body: text });
        out.push({ ...person, sid: msg.sid });
      } catch (err) {
        this.log.error({ err: twilioErrorText(err) }, 'the relay could not send an SMS');
        out.push({ ...person, error: twilioErrorText(err) });
      }
    }
    return out;
  }

  // ---- hub state ---------------------------------------------------------------------------

  private async onStatus(hubId: string, online: boolean): Promise<void> {
    if (!online) return this.state.markOffline(hubId, this.broker.hub(hubId)?.since ?? this.now());
    await this.syncProfile(hubId);
    if (await this.state.backOnline(hubId)) {
      const synced = await this.state.profile(hubId);
      if (synced) await this.sms(synced.profile, synced.profile.owners, 'Hearth: your home hub is back online.');
    }
    await this.deliver(hubId);
  }

  private async syncIfChanged(hubId: string, digest: string): Promise<void> {
    if ((await this.state.profile(hubId))?.digest !== digest) await this.syncProfile(hubId);
  }

  /** Pulls the hub's telephony profile with the signed RPC (the hub answers only the trusted relay key). */
  async syncProfile(hubId: string): Promise<boolean> {
    const res = await this.broker.call(hubId, 'telephony.profile', {}, { timeoutMs: this.s.hook_timeout_ms });
    if (!res.ok) {
      if (res.error.code !== 'UNKNOWN_METHOD' && res.error.code !== 'NOT_CONFIGURED')
        this.log.warn({ hub_id: hubId, err: res.error.code }, 'telephony profile not synced');
      return false;
    }
    const parsed = telephonyProfileSchema.safeParse(res.result);
    if (!parsed.success) return false;
    await this.state.saveProfile(hubId, parsed.data, profileDigest(parsed.data), this.now());
    return true;
  }

  /** Hands the hub what the relay did while it was away; the hub imports each record once. */
  async deliver(hubId: string): Promise<void> {
    const records = await this.state.pendingRecords(hubId);
    if (records.length === 0) return;
    const res = await this.broker.call(hubId, 'telephony.import', { records }, { timeoutMs: this.s.hook_timeout_ms });
    if (!res.ok) return void this.log.warn({ hub_id: hubId, err: res.error.code }, 'fallback records not handed over yet');
    await this.state.markDelivered(
      hubId,
      records.map((r) => r.id),
      this.now(),
    );
    this.log.info({ hub_id: hubId, records: records.length }, 'fallback records handed to the hub');
  }

  private async tick(): Promise<void> {
    const now = this.now();
    for (const row of await this.state.offlineHubs()) {
      if (row.noticed_at !== null || row.offline_since > now - this.s.offline_notice_after_s * 1000) continue;
      if (this.broker.hub(row.hub_id)?.online) continue;
      const synced = await this.state.profile(row.hub_id);
      if (!synced || !(await this.state.claimOfflineNotice(row.hub_id, now - this.s.offline_notice_after_s * 1000, now))) continue;
      const since = new Date(row.offline_since).toISOString().slice(0, 16).replace('T', ' ');
      this.log.warn({ hub_id: row.hub_id }, 'hub offline too long: telling its owners');
      await this.sms(synced.profile, synced.profile.owners, `Hearth: your home hub has been offline since ${since} UTC. Check its power and internet.`);
    }
    for (const hubId of await this.state.hubsWithPending()) if (this.broker.hub(hubId)?.online) await this.deliver(hubId);
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      await this.state.prune(now);
    }
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'relay telephony work failed'));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}
