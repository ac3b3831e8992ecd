import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import twilio from 'twilio';

/**
 * A fake Twilio REST API on loopback for the twilio library (reached through `twilio.api_root`).
 * It follows Twilio's documented REST shapes (2010-04-01: `Accounts/{sid}.json`, `Calls.json`,
 * `Calls/{sid}.json`, `Messages.json`; form bodies, HTTP Basic auth, JSON errors
 * `{code, message, more_info, status}`), records calls and messages, and then plays Twilio's
 * part in a call: it posts webhooks signed as Twilio signs them (X-Twilio-Signature = base64
 * HMAC-SHA1 over the exact URL plus the sorted POST parameters, with I-Twilio-Idempotency-Token)
 * — status callbacks, the answer URL, Gather results, asynchronous AMD results — and keeps the
 * TwiML each one returned.
 */
export interface FakeCall {
  sid: string;
  to: string;
  from: string;
  url?: string;
  twiml?: string;
  statusCallback?: string;
  statusCallbackEvents: string[];
  machineDetection?: string;
  asyncAmdStatusCallback?: string;
  timeout?: number;
  status: string;
  /** TwiML documents the hub returned for this call, in order. */
  responses: string[];
  /** TwiML pushed to the live call with Calls/{sid}.json (Twiml=...). */
  updates: string[];
}

export interface FakeMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
}

export interface PostedHook {
  url: string;
  params: Record<string, string>;
  status: number;
  body: string;
  token: string;
}

export class FakeTwilio {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');
  readonly calls: FakeCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly hooks: PostedHook[] = [];
  /** Sign webhooks with this token instead (a forger who does not know the auth token). */
  signWith?: string;
  /** The next calls.create answers with this error. */
  failNextCall?: { status: number; code: number; message: string };
  private server?: Server;
  private port = 0;

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  async waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; calls: ${JSON.stringify(this.calls.map((c) => [c.to, c.status]))}; messages: ${JSON.stringify(this.messages.map((m) => [m.to, m.body]))}`,
        );
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** Waits for the n-th call (1-based) to a number. */
  callTo(to: string, n = 1): Promise<FakeCall> {
    return this.waitFor(() => this.calls.filter((c) => c.to === to)[n - 1], `call #${n} to ${to}`);
  }

  smsTo(to: string, match: RegExp = /./): Promise<FakeMessage> {
    return this.waitFor(() => this.messages.filter((m) => m.to === to && match.test(m.body)).at(-1), `an SMS to ${to} matching ${match}`);
  }

  // ---- playing Twilio's part in a call ------------------------------------------------------

  /** Posts a signed webhook as Twilio would and returns the hub's answer. */
  post(url: string, params: Record<string, string>, token = randomUUID()): Promise<PostedHook> {
    return this.postVia(new URL(url).origin, url, params, token);
  }

  /** As post(), signed for the public `url` but delivered to the origin `via` (http://host:port): one of several relays behind a load balancer. */
  async postVia(via: string, url: string, params: Record<string, string>, token = randomUUID()): Promise<PostedHook> {
    const signature = twilio.getExpectedTwilioSignature(this.signWith ?? this.authToken, url, params);
    const res = await fetch(via + url.slice(new URL(url).origin.length), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
        'i-twilio-idempotency-token': token,
        'user-agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params).toString(),
    });
    const hook = { url, params, status: res.status, body: await res.text(), token };
    this.hooks.push(hook);
    return hook;
  }

  private base(call: FakeCall, extra: Record<string, string> = {}): Record<string, string> {
    return {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      From: call.from,
      To: call.to,
      Direction: 'outbound-api',
      CallStatus: call.status,
      ...extra,
    };
  }

  /** A status callback, sent when the call asked for that event (completed always is). */
  async status(
    call: FakeCall,
    status: 'initiated' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled',
    extra: Record<string, string> = {},
  ): Promise<PostedHook | undefined> {
    call.status = status;
    const event = status === 'in-progress' ? 'answered' : ['busy', 'no-answer', 'failed', 'canceled'].includes(status) ? 'completed' : status;
    if (!call.statusCallback || (event !== 'completed' && !call.statusCallbackEvents.includes(event))) return undefined;
    return this.post(
      call.statusCallback,
      this.base(call, { CallbackSource: 'call-progress-events', SequenceNumber: String(this.hooks.length), Timestamp: new Date().toUTCString(), ...extra }),
    );
  }

  /** Rings and picks up: initiated, ringing, answered, then the answer URL's TwiML. */
  async answer(call: FakeCall): Promise<string> {
    await this.status(call, 'initiated');
    await this.status(call, 'ringing');
    await this.status(call, 'in-progress');
    if (!call.url) return call.twiml ?? '';
    const hook = await this.post(call.url, this.base(call));
    call.responses.push(hook.body);
    return hook.body;
  }

  /** The asynchronous AMD result (AnsweredBy = human | machine_end_beep | …). */
  async amd(call: FakeCall, answeredBy: string): Promise<PostedHook | undefined> {
    if (!call.asyncAmdStatusCallback) return undefined;
    return this.post(call.asyncAmdStatusCallback, this.base(call, { AnsweredBy: answeredBy, MachineDetectionDuration: '2400' }));
  }

  /** The person's answer to the last <Gather>: digits, speech, or nothing (silence). */
  async gather(call: FakeCall, input: { Digits?: string; SpeechResult?: string } = {}): Promise<string> {
    const { url, params } = this.gatherHook(call, input);
    const hook = await this.post(url, params);
    call.responses.push(hook.body);
    return hook.body;
  }

  /** The webhook Twilio would post for that answer (its URL from the last <Gather action>, and its form), without posting it. */
  gatherHook(call: FakeCall, input: { Digits?: string; SpeechResult?: string } = {}): { url: string; params: Record<string, string> } {
    const last = call.responses.at(-1) ?? '';
    const url = gatherAction(last);
    if (!url) throw new Error(`the last TwiML has no <Gather action>: ${last}`);
    const extra: Record<string, string> = {};
    if (input.Digits !== undefined) extra.Digits = input.Digits;
    if (input.SpeechResult !== undefined) Object.assign(extra, { SpeechResult: input.SpeechResult, Confidence: '0.81' });
    return { url, params: this.base(call, extra) };
  }

  /** The call ends: completed (with a duration), or never answered. */
  async end(call: FakeCall, status: 'completed' | 'busy' | 'no-answer' | 'failed' = 'completed'): Promise<PostedHook | undefined> {
    if (status !== 'completed') {
      await this.status(call, 'initiated');
      if (status !== 'failed') await this.status(call, 'ringing');
    }
    return this.status(call, status, status === 'completed' ? { CallDuration: '31', Duration: '1' } : {});
  }

  /** Someone calls the Twilio number: Twilio fetches the number's voice URL. */
  async inbound(url: string, from: string, to: string): Promise<{ call: FakeCall; twiml: string }> {
    const call: FakeCall = {
      sid: `CA${randomBytes(16).toString('hex')}`,
      to,
      from,
      url,
      statusCallbackEvents: [],
      status: 'ringing',
      responses: [],
      updates: [],
    };
    const hook = await this.post(url, { ...this.base(call), Direction: 'inbound' });
    call.responses.push(hook.body);
    return { call, twiml: hook.body };
  }

  // ---- the REST API -------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const url = new URL(req.url ?? '/', this.apiRoot);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, code: number, message: string) =>
      send(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
    const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    if (auth !== `${this.accountSid}:${this.authToken}`) return error(401, 20003, 'Authenticate');
    const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})(?:\/(Calls|Messages)(?:\/(CA[0-9a-f]{32}))?)?\.json$/.exec(url.pathname);
    if (!m || m[1] !== this.accountSid) return error(404, 20404, `The requested resource ${url.pathname} was not found`);
    const [, sid, kind, callSid] = m;
    if (!kind && req.method === 'GET') {
      return send(200, {
        sid,
        friendly_name: 'Hearth test account',
        status: 'active',
        type: 'Full',
        auth_token: this.authToken,
        date_created: new Date().toUTCString(),
        uri: `/2010-04-01/Accounts/${sid}.json`,
      });
    }
    if (kind === 'Calls' && !callSid && req.method === 'POST') {
      if (this.failNextCall) {
        const f = this.failNextCall;
        this.failNextCall = undefined;
        return error(f.status, f.code, f.message);
      }
      const to = form.get('To');
      if (!to || !form.get('From') || (!form.get('Url') && !form.get('Twiml'))) return error(400, 21205, 'Url parameter is required.');
      const call: FakeCall = {
        sid: `CA${randomBytes(16).toString('hex')}`,
        to,
        from: form.get('From')!,
        url: form.get('Url') ?? undefined,
        twiml: form.get('Twiml') ?? undefined,
        statusCallback: form.get('StatusCallback') ?? undefined,
        statusCallbackEvents: form.getAll('StatusCallbackEvent'),
        machineDetection: form.get('MachineDetection') ?? undefined,
        asyncAmdStatusCallback: form.get('AsyncAmdStatusCallback') ?? undefined,
        timeout: form.get('Timeout') ? Number(form.get('Timeout')) : undefined,
        status: 'queued',
        responses: [],
        updates: [],
      };
      this.calls.push(call);
      return send(201, {
        sid: call.sid,
        account_sid: sid,
        to: call.to,
        from: call.from,
        status: 'queued',
        direction: 'outbound-api',
        api_version: '2010-04-01',
        uri: `/2010-04-01/Accounts/${sid}/Calls/${call.sid}.json`,
      });
    }
    if (kind === 'Calls' && callSid && req.method === 'POST') {
      const call = this.calls.find((c) => c.sid === callSid);
      if (!call) return error(404, 20404, `The requested resource ${url.pathname} was not found`);
      if (form.get('Twiml')) call.updates.push(form.get('Twiml')!);
      if (form.get('Status') === 'completed') call.status = 'completed';
      return send(200, { sid: call.sid, account_sid: sid, to: call.to, from: call.from, status: call.status, direction: 'outbound-api' });
    }
    if (kind === 'Messages' && req.method === 'POST') {
      const to = form.get('To');
      const body = form.get('Body');
      if (!to || !body) return error(400, 21602, 'Message body is required.');
      const msg = { sid: `SM${randomBytes(16).toString('hex')}`, to, from: form.get('From') ?? '', body };
      this.messages.push(msg);
      return send(201, { ...msg, account_sid: sid, status: 'queued', direction: 'outbound-api', num_segments: '1', api_version: '2010-04-01' });
    }
    return error(405, 20004, 'Method not allowed');
  }
}

/** The action URL of the last <Gather> in a TwiML document. */
export function gatherAction(twiml: string): string | undefined {
  const m = /<Gather\b[^>]*\baction="([^"]+)"/.exec(twiml);
  return m ? m[1]!.replace(/&amp;/g, '&') : undefined;
}

/** The words a TwiML document says, joined. */
export function said(twiml: string): string {
  return [...twiml.matchAll(/<Say\b[^>]*>([^<]*)<\/Say>/g)].map((m) => m[1]!.replace(/&apos;/g, "'").replace(/&amp;/g, '&')).join(' ');
}
