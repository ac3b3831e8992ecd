// The notification router's throughput: notifications per second from router.notify() (a durable
// write with synchronous=FULL) to delivery at a fake Telegram Bot API on loopback, through the real
// grammY client; plus the enqueue-to-delivery latency of each message (p50/p99).
// Run after `npm run build`: node bench/notify.bench.mjs  (prints one JSON object)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { Hub } from '../dist/hub/hub.js';
import { Api } from 'grammy';
import { fakeBotApi, pct, round as r } from './lib.mjs';

const N = Number(process.env.NOTIFY_BENCH_N ?? 1000);
const MEMBERS = 5;
const TOKEN = '123456:BENCH-token_abcdefghijklmnopqrstu';

const enqueuedAt = new Map();
const latencies = [];
let received = 0;
let done;
const allIn = new Promise((res) => (done = res));
let waitingFor;
const server = await fakeBotApi((text) => {
  if (waitingFor?.text === text) waitingFor.res();
  const t0 = enqueuedAt.get(text);
  if (t0 !== undefined) {
    latencies.push(performance.now() - t0);
    received++;
    if (received === N) done();
  }
});
// Baseline: the same grammY client sending straight to the fake, 16 at a time, no outbox.
const BASE_N = 500;
const direct = new Api(TOKEN, { apiRoot: `http://127.0.0.1:${server.address().port}` });
const b0 = performance.now();
for (let i = 0; i < BASE_N; i += 16) {
  await Promise.all(Array.from({ length: Math.min(16, BASE_N - i) }, (_, k) => direct.sendMessage(20_000, `direct ${i + k}`)));
}
const directRate = BASE_N / ((performance.now() - b0) / 1000);

const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-'));
// First run prints its setup code on stdout; this bench's stdout is one JSON object only.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
const hub = await Hub.create({
  env: {},
  cwd: dataDir,
  logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
  flags: {
    hub: { data_dir: dataDir, demo: false, log_level: 'warn', log_format: 'json' },
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { enabled: false },
    telegram: { token: TOKEN, api_root: `http://127.0.0.1:${server.address().port}`, poll_timeout_s: 1 },
    notify: { tick_ms: 10, per_member_burst: 1000, per_member_per_minute: 600 },
  },
});
await hub.start();
process.stdout.write = write;
const members = hub.services.get('members').members;
const router = hub.services.get('notify');
const ids = [];
for (let i = 0; i < MEMBERS; i++) {
  const m = await members.create({ username: `bench${i}`, display_name: `Bench ${i}`, role: 'adult' }, { id: 'system', origin: 'cli' });
  const { code } = members.createPairingCode(m.id, { id: 'system', origin: 'cli' });
  members.redeemPairingCode(code, 10_000 + i);
  ids.push(m.id);
}

const start = performance.now();
let enqueueMs = 0;
for (let i = 0; i < N; i++) {
  const text = `bench message ${i}`;
  const t0 = performance.now();
  enqueuedAt.set(text, t0);
  router.notify({ kind: 'brief.bench', text, audience: { members: [ids[i % MEMBERS]] } });
  enqueueMs += performance.now() - t0;
  // Let the pump run between enqueues, as messages arrive in a live hub.
  if (i % 50 === 49) await new Promise((res) => setImmediate(res));
}
await allIn;
const elapsed = performance.now() - start;

// Light load: one message at a time, the next enqueued once the previous arrived.
const LIGHT_N = 200;
const light = [];
for (let i = 0; i < LIGHT_N; i++) {
  const text = `light message ${i}`;
  const arrived = new Promise((res) => (waitingFor = { text, res }));
  const t0 = performance.now();
  router.notify({ kind: 'brief.bench', text, audience: { members: [ids[i % MEMBERS]] } });
  await arrived;
  light.push(performance.now() - t0);
}
light.sort((a, b) => a - b);
await hub.stop();
server.close();
rmSync(dataDir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    name: 'notify',
    results: [
      {
        metric: 'notify_throughput',
        value: r(N / (elapsed / 1000), 1),
        unit: 'notifications/s',
        baseline: { label: 'grammY sendMessage straight to the fake, 16 in flight, no outbox', value: r(directRate, 1) },
        note: `${N} notifications to ${MEMBERS} paired members, enqueue → fake Bot API sendMessage, grammY client, SQLite synchronous=FULL`,
      },
      { metric: 'notify_enqueue_mean', value: r(enqueueMs / N), unit: 'ms', note: 'router.notify(): notification + delivery rows in one transaction' },
      {
        metric: 'notify_latency_light_p50',
        value: r(pct(light, 50), 2),
        unit: 'ms',
        note: `${LIGHT_N} messages one at a time: enqueue → sendMessage received`,
      },
      { metric: 'notify_latency_light_p99', value: r(pct(light, 99), 2), unit: 'ms' },
      {
        metric: 'notify_latency_saturated_p50',
        value: r(pct(latencies, 50), 1),
        unit: 'ms',
        note: `the ${N} enqueued as fast as possible: mostly time waiting in the outbox`,
      },
      { metric: 'notify_latency_saturated_p99', value: r(pct(latencies, 99), 1), unit: 'ms' },
    ],
  }),
);
