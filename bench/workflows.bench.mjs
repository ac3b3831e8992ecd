// The workflows part's figures (issue 12), on a real hub with its embedded broker:
//   1. a device's state change → workflow (trigger, condition, gate, audit) → command on the
//      device's topic, p50/p99 at 500 changes/s, and the saturation rate, next to a bare mqtt.js
//      forwarder (subscribe → test → publish) on the same broker with TCP_NODELAY on both;
//   2. condition evaluation p99; 3. memory per 100 enabled workflows; 4. start-up with 100 workflows.
// Node-RED is not installed by this bench yet (see docs/performance.md).
// Run after `npm run build`: node bench/workflows.bench.mjs  (prints one JSON object)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt from 'mqtt';
import { createBenchHub, paced, pct, r3, sorted } from './lib.mjs';
import { compile } from '../dist/workflows/expr.js';
import { snapshot } from '../dist/workflows/snapshot.js';

const RATE = Number(process.env.WF_BENCH_RATE ?? 500);
const SECONDS = Number(process.env.WF_BENCH_SECONDS ?? 4);
const BLAST = Number(process.env.WF_BENCH_BLAST ?? 3000);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (b) => Math.round((b / 1024 / 1024) * 100) / 100;

async function connect(url) {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
  c.stream.setNoDelay?.(true);
  return c;
}

/**
 * One rule over MQTT: `publishIn(i)` starts change i; commands arrive on `outTopic`. Latency pairs
 * the k-th command with the k-th change (both sides keep order at these rates).
 */
async function measure(device, inTopic, outTopic) {
  const sentAt = [];
  const lat = [];
  let got = 0;
  let lastAt = 0;
  const onMsg = (topic) => {
    if (topic !== outTopic) return;
    lastAt = performance.now();
    const t = sentAt[got++];
    if (t !== undefined) lat.push(performance.now() - t);
  };
  device.on('message', onMsg);
  const run = async (rate, seconds) => {
    sentAt.length = 0;
    lat.length = 0;
    got = 0;
    const total = await paced(rate, seconds, (i) => {
      sentAt.push(performance.now());
      device.publish(inTopic, String((i + 1_000_000 * Math.random()) | 0));
    });
    const deadline = Date.now() + 10_000;
    while (got < total && Date.now() < deadline) await sleep(20);
    await sleep(200);
    const s = sorted(lat);
    return { sent: total, received: got, p50: r3(pct(s, 50)), p99: r3(pct(s, 99)) };
  };
  const paced500 = await run(RATE, SECONDS);
  // Saturation: changes sent as fast as the client can; commands per second that came out.
  sentAt.length = 0;
  lat.length = 0;
  got = 0;
  const t0 = performance.now();
  for (let i = 0; i < BLAST; i++) {
    sentAt.push(performance.now());
    device.publish(inTopic, String(i));
  }
  // Until all came out, or nothing more for 3 s (the rest were dropped): the rate is up to the last one.
  for (let seen = -1; got < BLAST && (got !== seen || performance.now() - lastAt < 3000);) {
    seen = got;
    await sleep(250);
  }
  const seconds = (lastAt - t0) / 1000;
  device.off('message', onMsg);
  return { paced: paced500, saturation: Math.round(got / seconds), blast_received: got };
}

const { hub, cleanup } = await createBenchHub('hearth-bench-workflows-', {
  mqtt: { allow_anonymous: true, messages_per_second: 1_000_000, message_burst: 1_000_000, max_connections: 50 },
  policy: { confirm_timeout_s: 2 },
});
const members = hub.services.get('members').members;
await members.create({ username: 'owner', display_name: 'Owner', role: 'owner', password: 'bench password 123' }, { id: 'bench', origin: 'cli' });
await hub.start();
const results = [];
const clients = [];
try {
  const mqttUrl = `mqtt://127.0.0.1:${hub.services.get('mqtt.broker').port}`;
  const device = await connect(mqttUrl);
  clients.push(device);
  const dev = { dev: { identifiers: ['bench_dev'], name: 'Bench device' } };
  await device.publishAsync(
    'homeassistant/sensor/bench/bench_in/config',
    JSON.stringify({ name: 'Bench in', uniq_id: 'bench_in', default_entity_id: 'sensor.bench_in', stat_t: 'bench/in/state', ...dev }),
    { retain: true },
  );
  await device.publishAsync(
    'homeassistant/switch/bench/bench_out/config',
    JSON.stringify({
      name: 'Bench out',
      uniq_id: 'bench_out',
      default_entity_id: 'switch.bench_out',
      cmd_t: 'bench/out/set',
      stat_t: 'bench/out/state',
      ...dev,
    }),
    { retain: true },
  );
  await device.subscribeAsync('bench/out/set');
  await device.subscribeAsync('bench/fwd/out');
  await device.publishAsync('bench/out/state', 'ON', { retain: true });
  // A real switch reports its state after each command; the gate confirms by it.
  device.on('message', (topic, payload) => {
    if (topic === 'bench/out/set') device.publish('bench/out/state', payload.toString());
  });
  const wf = hub.services.get('workflows');
  const registry = wf.deps.entities;
  for (let i = 0; i < 200 && !(registry.get('sensor.bench_in') && registry.get('switch.bench_out')?.state === 'on'); i++) await sleep(25);
  if (registry.get('switch.bench_out')?.state !== 'on')
    throw new Error(`bench entities were not discovered (${JSON.stringify(registry.get('switch.bench_out'))})`);
  wf.create(
    `name: Bench rule\nmode: parallel\nmax: 50\nmax_runs_per_minute: 100000\ntriggers:\n  - state: sensor.bench_in\nconditions:\n  - expr: "trigger.to >= 0"\nsteps:\n  - action: {entity_id: switch.bench_out, operation: turn_on}\n`,
    { actor: 'bench', origin: 'cli' },
  );
  const hearth = await measure(device, 'bench/in/state', 'bench/out/set');

  // Baseline: the same rule as a bare mqtt.js client on the same broker (no audit, no gate, no trail).
  const fwd = await connect(mqttUrl);
  clients.push(fwd);
  await fwd.subscribeAsync('bench/fwdin');
  fwd.on('message', (_t, p) => {
    if (Number(p.toString()) >= 0) fwd.publish('bench/fwd/out', 'ON');
  });
  const bare = await measure(device, 'bench/fwdin', 'bench/fwd/out');

  results.push(
    {
      metric: `state change → workflow → device command, p50 at ${RATE}/s`,
      value: hearth.paced.p50,
      unit: 'ms',
      baseline: { label: 'bare mqtt.js forwarder', value: bare.paced.p50 },
      note: `${hearth.paced.received}/${hearth.paced.sent} commands; every run and action written with synchronous=FULL and audited`,
    },
    {
      metric: `state change → workflow → device command, p99 at ${RATE}/s`,
      value: hearth.paced.p99,
      unit: 'ms',
      baseline: { label: 'bare mqtt.js forwarder', value: bare.paced.p99 },
    },
    {
      metric: 'saturation: commands per second out when changes come as fast as possible',
      value: hearth.saturation,
      unit: '/s',
      baseline: { label: 'bare mqtt.js forwarder', value: bare.saturation },
      note: `${hearth.blast_received}/${BLAST} delivered (mode parallel, max 50: beyond that, triggers are dropped)`,
    },
  );

  // Condition evaluation on a snapshot of the home.
  const scope = snapshot(registry, Date.now(), 'Europe/Berlin', { trigger: { to: '21' }, vars: { answer: 'yes' } });
  const expr = compile("states.switch.bench_out == 'on' && (trigger.to >= 0 || answer in ['yes', 'ok']) && time.hour >= 0");
  const ev = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = performance.now();
    expr.evaluate(scope);
    ev.push(performance.now() - t0);
  }
  const se = sorted(ev);
  results.push({
    metric: 'condition evaluation p99 (parsed once, one snapshot)',
    value: r3(pct(se, 99) * 1000),
    unit: 'µs',
    note: `p50 ${r3(pct(se, 50) * 1000)} µs`,
  });

  // Memory per 100 enabled workflows (state trigger, condition, three steps).
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100; i++) {
    wf.create(
      `name: Porch ${i}\ntriggers:\n  - state: binary_sensor.door_${i}\n    to: "on"\n    for: 2s\nconditions:\n  - expr: "time.hour >= 21"\nsteps:\n  - action: {entity_id: light.porch_${i}, operation: turn_on}\n  - wait: 10m\n  - action: {entity_id: light.porch_${i}, operation: turn_off}\n`,
      { actor: 'bench', origin: 'cli' },
    );
  }
  gc();
  results.push({ metric: 'heap per 100 enabled workflows', value: mb(process.memoryUsage().heapUsed - before), unit: 'MB' });
} finally {
  for (const c of clients) await c.endAsync().catch(() => {});
  await hub.stop();
}

// Start-up with those 100 workflows (plus the rule and the packs) on the same data directory.
const { Hub } = await import('../dist/hub/hub.js');
const { Writable } = await import('node:stream');
const startOnce = async () => {
  const t0 = performance.now();
  const again = await Hub.create({
    env: {},
    cwd: hub.ctx.dataDir,
    logDestination: new Writable({ write: (_c, _e, d) => d() }),
    flags: {
      hub: { data_dir: hub.ctx.dataDir, demo: false, log_level: 'warn', log_format: 'json' },
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { host: '127.0.0.1', port: 0 },
    },
  });
  await again.start();
  const ms = performance.now() - t0;
  const started = again.services.get('workflows').list().length;
  await again.stop();
  return { ms, started };
};
const runs = [];
for (let i = 0; i < 3; i++) runs.push(await startOnce());
const ms = sorted(runs.map((r) => r.ms));
results.push({ metric: `hub start-up with ${runs[0].started} workflows (median of 3, in process)`, value: Math.round(ms[1]), unit: 'ms' });
cleanup();
process.stdout.write(`${JSON.stringify({ name: 'workflows', results, load: loadavg().map((x) => r3(x)) })}\n`);
