// Telephony figures: webhook → TwiML time on the hub (signed Twilio webhooks over real HTTP) and
// through the relay (hybrid mode: relay → real mosquitto with TLS and ACL → hub → back),
// the time from an unanswered check-in to the first family alert with the default settings
// (manual clock), and the escalation ladder's timing error (real clock).
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import { ManualClock } from '../dist/core/clock.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Hub } from '../dist/hub/hub.js';
import { Relay } from '../dist/relay/index.js';
import { parseSettings } from '../dist/config/load.js';
import { silentLogger } from '../dist/core/logger.js';
import { timings, round as r } from './lib.mjs';
import { BenchBroker, freePort, waitFor } from './mosquitto.mjs';

const N = 300;

/** The smallest Twilio REST fake: Calls.json and Messages.json answer 201 and are recorded. */
async function fakeTwilio() {
  const sid = `AC${randomBytes(16).toString('hex')}`;
  const token = randomBytes(16).toString('hex');
  const calls = [];
  const messages = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const form = new URLSearchParams(body);
    const kind = /\/(Calls|Messages)\.json$/.exec(req.url ?? '')?.[1];
    const item = {
      sid: `${kind === 'Calls' ? 'CA' : 'SM'}${randomBytes(16).toString('hex')}`,
      to: form.get('To'),
      url: form.get('Url'),
      body: form.get('Body'),
      at: Date.now(),
    };
    (kind === 'Calls' ? calls : messages).push(item);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sid: item.sid, status: 'queued', to: item.to }));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { sid, token, calls, messages, root: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((ok) => server.close(ok)) };
}

async function phoneHub(fake, clock, notify = {}, extra = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-tel-'));
  const hub = await Hub.create({
    env: {},
    cwd: dataDir,
    clock,
    logDestination: new Writable({ write: (_c, _e, done) => done() }),
    flags: {
      hub: { data_dir: dataDir, demo: false, log_level: 'warn', log_format: 'json', timezone: 'Europe/London' },
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
      twilio: { account_sid: fake.sid, auth_token: fake.token, from: '+15559990000', api_root: fake.root },
      notify: { tick_ms: 20, ...notify },
      ...extra,
    },
  });
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  await hub.start();
  const url = `http://127.0.0.1:${hub.http.boundPort}`;
  hub.ctx.settings.update({ twilio: { public_url: url } }, 'bench');
  const members = hub.services.get('members').members;
  const sys = { id: 'system', origin: 'cli' };
  const elder = await members.create({ username: 'mary', display_name: 'Mary', role: 'elder', phone: '+15550000001' }, sys);
  const ann = await members.create({ username: 'ann', display_name: 'Ann', role: 'adult', phone: '+15550000003' }, sys);
  const ben = await members.create({ username: 'ben', display_name: 'Ben', role: 'adult', phone: '+15550000002' }, sys);
  return { hub, url, cleanup, elder, ann, ben, engine: hub.services.get('checkins'), router: hub.services.get('notify') };
}

async function post(fake, url, params) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(fake.token, url, params),
      'i-twilio-idempotency-token': randomUUID(),
    },
    body: new URLSearchParams(params),
  });
  await res.text();
  if (res.status !== 200) throw new Error(`webhook ${res.status}`);
  return performance.now() - t0;
}

async function webhookLatency(through) {
  const fake = await fakeTwilio();
  const h = await phoneHub(fake, undefined, {}, through?.hubFlags ?? {});
  if (through) await through.attach(h, fake);
  const now = Date.now();
  const body = { member_id: h.elder.id, times: ['09:30'], language: 'en-GB', escalate_to: [h.ann.id, h.ben.id], retries: 2, retry_after_min: 5, enabled: true };
  h.engine.store.insert('chk_bench', body, null, now);
  for (let i = 0; i < N; i++) h.engine.callNow('chk_bench');
  while (fake.calls.length < N) await h.engine.tick();
  const samples = [];
  for (const call of fake.calls) {
    samples.push(
      await post(fake, call.url, {
        AccountSid: fake.sid,
        CallSid: call.sid,
        From: '+15559990000',
        To: call.to,
        CallStatus: 'in-progress',
        Direction: 'outbound-api',
      }),
    );
  }
  const health = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await (await fetch(`${h.url}/api/v1/health`)).text();
    health.push(performance.now() - t0);
  }
  await h.hub.stop();
  h.cleanup();
  await fake.stop();
  await through?.stop();
  return { twiml: timings(samples), health: timings(health) };
}

/** Hybrid mode: a relay and a real mosquitto (TLS, passwords, ACL); the hub's public_url points at the relay. */
async function viaRelay() {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-relay-'));
  const users = { relay: 'relay-pw', 'hub-tel': 'hub-tel-pw' };
  const b = new BenchBroker(dir, users);
  await b.setup();
  await b.start();
  const keys = generateKeyPairSync('ed25519');
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  let relay;
  return {
    hubFlags: {
      link: {
        url: b.url,
        hub_id: 'hub-tel',
        username: 'hub-tel',
        password: users['hub-tel'],
        ca: b.caFile,
        relay_public_key: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
    },
    async attach(h, fake) {
      relay = await Relay.create(
        parseSettings({
          relay: {
            broker_url: b.url,
            username: 'relay',
            password: users.relay,
            ca: b.caFile,
            instance_id: 'bench-relay',
            host: '127.0.0.1',
            port,
            signing_key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            public_url: publicUrl,
            twilio_api_root: fake.root,
          },
        }),
        silentLogger(),
      );
      await relay.start();
      h.hub.ctx.settings.update({ twilio: { public_url: `${publicUrl}/hooks/hub-tel` } }, 'bench');
      await waitFor(() => relay.telephony.syncProfile('hub-tel'), 'the relay has the hub’s telephony profile');
    },
    async stop() {
      await relay?.stop();
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Simulated minutes from the scheduled call to the first family alert, each call unanswered after ring_seconds. */
async function firstAlert() {
  const fake = await fakeTwilio();
  const start = Date.UTC(2026, 0, 15, 9, 30, 0);
  const clock = new ManualClock(start - 60_000);
  const h = await phoneHub(fake, clock);
  const { checkinBodySchema } = await import('../dist/checkins/model.js');
  const body = checkinBodySchema.parse({ member_id: h.elder.id, times: ['09:30'], escalate_to: [h.ann.id, h.ben.id] }); // default retries and spacing
  h.engine.store.insert('chk_default', body, start, clock.now());
  const ring = h.hub.ctx.settings.get().twilio.ring_seconds * 1000;
  let answered = 0;
  while (fake.messages.length === 0 && clock.now() - start < 3_600_000) {
    clock.advance(1000);
    await h.engine.tick();
    await h.router.tick();
    for (const call of fake.calls) call.placedAt ??= clock.now();
    for (const call of fake.calls.slice(answered)) {
      if (clock.now() - call.placedAt < ring) break;
      await post(fake, `${h.url}${new URL(call.url).pathname.replace(/answer$/, 'status')}`, {
        AccountSid: fake.sid,
        CallSid: call.sid,
        CallStatus: 'no-answer',
        To: call.to,
        From: '+15559990000',
      });
      answered++;
    }
  }
  const minutes = (clock.now() - start) / 60_000;
  await h.hub.stop();
  h.cleanup();
  await fake.stop();
  return { minutes, calls: fake.calls.length, retries: body.retries, spacing: body.retry_after_min };
}

/** Real clock: a ladder with 6-second rungs; how late each rung is. */
async function ladderError() {
  const fake = await fakeTwilio();
  const h = await phoneHub(fake, undefined, { escalation_step_minutes: 0.1, tick_ms: 1000 });
  const t0 = Date.now();
  h.router.notify({
    kind: 'checkin.missed',
    severity: 'warning',
    text: 'Mary did not answer.',
    escalate: true,
    ladder: [`member:${h.ann.id}`, `member:${h.ben.id}@voice`, 'channel:voice'],
    actions: [{ kind: 'ack', label: "I'll call Mary" }],
    audience: {},
  });
  while (fake.calls.length < 2 && Date.now() - t0 < 30_000) await new Promise((ok) => setTimeout(ok, 20));
  const errors = fake.calls.slice(0, 2).map((c, i) => c.at - t0 - (i + 1) * 6000);
  await h.hub.stop();
  h.cleanup();
  await fake.stop();
  return errors;
}

const lat = await webhookLatency();
const relayed = await webhookLatency(await viaRelay());
const alert = await firstAlert();
const errs = await ladderError();
console.log(
  JSON.stringify({
    name: 'telephony',
    results: [
      {
        metric: 'webhook_twiml_p50',
        value: lat.twiml.p50_ms,
        unit: 'ms',
        baseline: { label: 'GET /api/v1/health on the same hub', value: lat.health.p50_ms },
        note: `${N} signed answer webhooks, each a different call: signature check, zod, replay record, SQLite writes, VoiceResponse`,
      },
      {
        metric: 'webhook_twiml_p99',
        value: lat.twiml.p99_ms,
        unit: 'ms',
        baseline: { label: 'GET /api/v1/health on the same hub', value: lat.health.p99_ms },
        note: 'target under 50 ms; Twilio gives up after 15 s',
      },
      {
        metric: 'webhook_twiml_via_relay_p50',
        value: relayed.twiml.p50_ms,
        unit: 'ms',
        baseline: { label: 'hub-direct webhook → TwiML p50', value: lat.twiml.p50_ms },
        note: `${N} signed answer webhooks to the relay: signature check, idempotency row, RPC over mosquitto (TLS, ACL) to the hub's same handler, TwiML back`,
      },
      {
        metric: 'webhook_twiml_via_relay_p99',
        value: relayed.twiml.p99_ms,
        unit: 'ms',
        baseline: { label: 'hub-direct webhook → TwiML p99', value: lat.twiml.p99_ms },
        note: 'target under 300 ms; the relay answers itself after relay.hook_timeout_ms (4 s)',
      },
      {
        metric: 'unanswered_to_first_alert',
        value: r(alert.minutes, 2),
        unit: 'min',
        baseline: { label: 'promise', value: 20 },
        note: `default settings: ${alert.calls} calls (retries ${alert.retries}, every ${alert.spacing} min), each unanswered after ring_seconds; manual clock in 1 s steps`,
      },
      {
        metric: 'ladder_timing_error_max',
        value: r(Math.max(...errs) / 1000, 3),
        unit: 's',
        note: `real clock, 6 s rungs, notify.tick_ms 1000: lateness of the two rung calls ${errs.map((e) => r(e / 1000, 3)).join(', ')} s`,
      },
    ],
  }),
);
process.exit(0);
