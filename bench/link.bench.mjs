// The hybrid link's figures (issue 6), through a real mosquitto with TLS, passwords and an ACL:
//   1. backlog drain after an outage: N audit entries appended while the broker is down, then
//      entries per second from the hub's outbox to a cloud subscriber once the broker is back;
//   2. RPC round trip through broker and relay (HTTPS API → relay → broker → hub → back), p50/p99,
//      next to the relay's MQTT-only call and a bare mqtt.js request/response through the same broker.
// Needs mosquitto, mosquitto_passwd and openssl. Run after `npm run build`:
//   node bench/link.bench.mjs   (prints one JSON object)
import { mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { Hub } from '../dist/hub/hub.js';
import { Relay } from '../dist/relay/index.js';
import { parseSettings } from '../dist/config/load.js';
import { silentLogger } from '../dist/core/logger.js';
import { hashToken } from '../dist/relay/accounts.js';
import { r3, timings as summary } from './lib.mjs';
import { BenchBroker, sleep, waitFor } from './mosquitto.mjs';

const DRAIN_N = Number(process.env.LINK_BENCH_DRAIN_N ?? 5000);
const RPC_N = Number(process.env.LINK_BENCH_RPC_N ?? 500);
const TOKEN = 'bench-token-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'hearth-link-bench-'));
const users = { relay: 'relay-pw', 'hub-bench': 'hub-pw' };
const b = new BenchBroker(dir, users);

const url = () => b.url;
const ca = () => b.ca();
const client = (username, extra = {}) =>
  mqtt.connectAsync(url(), { protocolVersion: 5, username, password: users[username], ca: ca(), reconnectPeriod: 0, ...extra });

const results = { bench: 'link', broker: 'mosquitto (TLS, ACL, set_tcp_nodelay true), loopback' };
const cleanups = [];
try {
  await b.setup();
  await b.start();

  const keys = generateKeyPairSync('ed25519');
  const hubData = join(dir, 'hub');
  const hub = await Hub.create({
    env: {},
    cwd: dir,
    logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    flags: {
      hub: { data_dir: hubData, log_level: 'warn', log_format: 'json' },
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
      link: {
        url: url(),
        hub_id: 'hub-bench',
        username: 'hub-bench',
        password: users['hub-bench'],
        ca: join(dir, 'ca.crt'),
        relay_public_key: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        reconnect_min_ms: 100,
        reconnect_max_ms: 1000,
        publish_window: Number(process.env.LINK_BENCH_WINDOW ?? 32),
      },
    },
  });
  await hub.start();
  cleanups.push(() => hub.stop());
  const link = hub.services.get('link');
  await waitFor(() => link.status().state === 'online', 'hub online');

  // ---- 1. backlog drain -----------------------------------------------------------------
  const archive = await client('relay', { clientId: 'bench-archive', clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 100 });
  cleanups.push(() => archive.end(true));
  let received = 0;
  let lastSeq = 0;
  let outOfOrder = 0;
  archive.on('message', (_t, payload) => {
    const m = JSON.parse(payload.toString());
    if (m.class !== 'audit') return;
    if (m.data.seq <= lastSeq) outOfOrder++;
    lastSeq = m.data.seq;
    received++;
  });
  await archive.subscribeAsync('hearth/v1/hub-bench/up/events', { qos: 1 });
  await sleep(200);
  const before = received;
  await b.stop();
  await waitFor(() => link.status().state !== 'online', 'hub offline');
  for (let i = 0; i < DRAIN_N; i++) hub.ctx.audit.append({ actor: 'bench', origin: 'system', kind: 'bench.entry', data: { i } });
  const depth = link.status().outbox_depth;
  await b.start();
  const t0 = performance.now();
  await waitFor(() => link.status().state === 'online', 'hub back online');
  const tConnected = performance.now();
  await waitFor(() => received - before >= DRAIN_N, `${DRAIN_N} entries at the subscriber`, 300_000);
  const t1 = performance.now();
  await waitFor(() => link.status().outbox_depth === 0, 'outbox empty', 30_000);
  results.backlog_drain = {
    entries: DRAIN_N,
    outbox_depth_before: depth,
    publish_window: hub.ctx.settings.get().link.publish_window,
    seconds_from_broker_start: r3((t1 - t0) / 1000),
    seconds_from_reconnect: r3((t1 - tConnected) / 1000),
    entries_per_s: Math.round(DRAIN_N / ((t1 - tConnected) / 1000)),
    out_of_order: outOfOrder,
  };

  // Baseline: bare mqtt.js publishing the same number of QoS 1 messages of the same size to the
  // same Mosquitto, same topic and subscriber, the same number in flight (mqtt.js waits for each
  // PUBACK; a window of `publish_window` unacknowledged messages at a time).
  const barePub = await client('hub-bench', { clientId: 'bench-bare-drain' });
  cleanups.push(() => barePub.end(true));
  let bareGot = 0;
  archive.on('message', (_t, payload) => {
    if (payload.includes('"class":"bare"')) bareGot++;
  });
  const body = JSON.stringify({
    class: 'bare',
    data: { seq: 0, kind: 'bench.entry', actor: 'bench', origin: 'system', hash: 'x'.repeat(64), at: new Date().toISOString() },
  });
  const window = hub.ctx.settings.get().link.publish_window;
  const b0 = performance.now();
  let inFlight = 0;
  for (let i = 0; i < DRAIN_N; i++) {
    while (inFlight >= window) await new Promise((r) => setImmediate(r));
    inFlight++;
    barePub.publish('hearth/v1/hub-bench/up/events', body, { qos: 1 }, () => inFlight--);
  }
  await waitFor(() => bareGot >= DRAIN_N, `${DRAIN_N} bare messages at the subscriber`, 300_000);
  results.backlog_drain.bare_mqttjs_qos1_per_s = Math.round(DRAIN_N / ((performance.now() - b0) / 1000));

  // ---- 2. RPC round trips ------------------------------------------------------------------
  const relaySettings = parseSettings({
    relay: {
      broker_url: url(),
      username: 'relay',
      password: users.relay,
      ca: join(dir, 'ca.crt'),
      instance_id: 'bench-relay',
      host: '127.0.0.1',
      port: 0,
      tls_cert: join(dir, 'server.crt'),
      tls_key: join(dir, 'server.key'),
      signing_key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      accounts: [{ id: 'bench', name: 'Bench', role: 'service', token_sha256: hashToken(TOKEN) }],
    },
  });
  const relay = await Relay.create(relaySettings, silentLogger());
  await relay.start();
  cleanups.push(() => relay.stop());
  await waitFor(() => relay.broker.online, 'relay online');
  const agent = new (await import('node:https')).Agent({ keepAlive: true, ca: ca() });
  cleanups.push(() => agent.destroy());
  const ping = () =>
    new Promise((resolve, reject) => {
      const req = request(`${relay.url}/relay/v1/hubs/hub-bench/ping`, { method: 'POST', agent, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ping ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 50; i++) await ping(); // warm-up
  const viaHttp = [];
  for (let i = 0; i < RPC_N; i++) {
    const s = performance.now();
    await ping();
    viaHttp.push(performance.now() - s);
  }
  const viaMqtt = [];
  for (let i = 0; i < RPC_N; i++) {
    const s = performance.now();
    const res = await relay.broker.call('hub-bench', 'ping');
    if (!res.ok) throw new Error(JSON.stringify(res));
    viaMqtt.push(performance.now() - s);
  }

  // Bare mqtt.js request/response through the same broker (the relay's and the hub's credentials).
  const responder = await client('hub-bench', { clientId: 'bench-responder' });
  const requester = await client('relay', { clientId: 'bench-requester' });
  cleanups.push(
    () => responder.end(true),
    () => requester.end(true),
  );
  for (const c of [responder, requester]) c.stream.setNoDelay?.(true);
  await responder.subscribeAsync('hearth/v1/hub-bench/bare/req', { qos: 1 });
  responder.on('message', (_t, payload, packet) => {
    responder.publish(packet.properties.responseTopic, payload, { qos: 1, properties: { correlationData: packet.properties.correlationData } });
  });
  await requester.subscribeAsync('hearth/v1/hub-bench/bare/res', { qos: 1 });
  const waiting = new Map();
  requester.on('message', (_t, _p, packet) => waiting.get(packet.properties.correlationData.toString())?.());
  const bareCall = (i) =>
    new Promise((resolve) => {
      waiting.set(String(i), resolve);
      requester.publish('hearth/v1/hub-bench/bare/req', '{"ping":true}', {
        qos: 1,
        properties: { responseTopic: 'hearth/v1/hub-bench/bare/res', correlationData: Buffer.from(String(i)) },
      });
    });
  for (let i = 0; i < 50; i++) await bareCall(`w${i}`);
  const bare = [];
  for (let i = 0; i < RPC_N; i++) {
    const s = performance.now();
    await bareCall(i);
    bare.push(performance.now() - s);
  }
  results.rpc_round_trip = {
    via_relay_https_api: summary(viaHttp),
    via_relay_mqtt_only: summary(viaMqtt),
    bare_mqttjs_request_response: summary(bare),
    note: 'sequential calls, QoS 1 both ways; the relay path adds Ed25519 sign/verify, zod parsing and a replay check on the hub',
  };
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      /* best effort */
    }
  }
  if (b.running) await b.stop();
  rmSync(dir, { recursive: true, force: true });
}
// The harness's contract (bench/run.mjs): one JSON object, last on stdout.
const d = results.backlog_drain;
const rpc = results.rpc_round_trip;
const out = { name: 'link', results: [], detail: results };
if (d) {
  out.results.push({
    metric: `backlog drain after an outage (${d.entries} audit entries, window ${d.publish_window})`,
    value: d.entries_per_s,
    unit: 'entries/s',
    ...(d.bare_mqttjs_qos1_per_s
      ? { baseline: { label: `bare mqtt.js QoS 1, ${d.publish_window} in flight, same broker and subscriber`, value: d.bare_mqttjs_qos1_per_s } }
      : {}),
    target: { op: '>=', value: 0.8, of: 'baseline ratio' },
    note: `${d.seconds_from_reconnect} s from reconnect to the last entry at the subscriber; ${d.out_of_order} out of order`,
  });
}
if (rpc) {
  const bare = rpc.bare_mqttjs_request_response;
  for (const p of ['p50', 'p99']) {
    out.results.push({
      metric: `RPC round trip via relay HTTPS API → broker → hub (${p})`,
      value: rpc.via_relay_https_api[`${p}_ms`],
      unit: 'ms',
      baseline: { label: `bare mqtt.js request/response ${p}`, value: bare[`${p}_ms`] },
    });
    out.results.push({
      metric: `RPC round trip via relay MQTT call (${p})`,
      value: rpc.via_relay_mqtt_only[`${p}_ms`],
      unit: 'ms',
      baseline: { label: `bare mqtt.js request/response ${p}`, value: bare[`${p}_ms`] },
      ...(p === 'p99' ? { target: { op: '<=', value: 1.5, of: 'baseline ratio' } } : {}),
    });
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
