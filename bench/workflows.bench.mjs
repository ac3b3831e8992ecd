// The workflows part's figures (issue 12):
//   1. a device's state change → workflow (trigger, condition, gate, audit) → command on the
//      device's topic, p50/p99 at 500 changes/s, and the saturation rate, next to Node-RED running
//      the same rule (mqtt in → switch → change → mqtt out) and a bare mqtt.js forwarder, all three
//      against the same broker (the hub's) with TCP_NODELAY on every socket, each in its own
//      process, driven by the same load generator (this process);
//   2. condition evaluation p99; 3. memory per 100 enabled workflows; 4. start-up with 100 workflows.
// Node-RED is installed by this bench with npm into a temporary directory (NODE_RED_VERSION, or
// NODE_RED_DIR to reuse an install); if that fails the output says so.
// Run after `npm run build` (it starts bin/hearth.js): node bench/workflows.bench.mjs  (prints one JSON object)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt from 'mqtt';
import { createBenchHub, paced, pct, r3, sorted } from './lib.mjs';
import { compile } from '../dist/workflows/expr.js';
import { snapshot } from '../dist/workflows/snapshot.js';

const RATE = Number(process.env.WF_BENCH_RATE ?? 500);
const SECONDS = Number(process.env.WF_BENCH_SECONDS ?? 4);
/** Offered rates tried for saturation, each for STEP_SECONDS; the highest one fully served is the figure. */
const STEPS = (process.env.WF_BENCH_STEPS ?? '250,500,1000,2000,4000,8000').split(',').map(Number);
const STEP_SECONDS = Number(process.env.WF_BENCH_STEP_SECONDS ?? 2);
const WARM_SECONDS = Number(process.env.WF_BENCH_WARM_SECONDS ?? 2);
/** WF_BENCH_ONLY=hearth: only the hub's side (for profiling it; no figures are written). */
const ONLY_HEARTH = process.env.WF_BENCH_ONLY === 'hearth';
const NODE_RED_VERSION = process.env.NODE_RED_VERSION ?? '4.1.8'; // 5.x needs Node.js 22
const REPO = fileURLToPath(new URL('..', import.meta.url));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (b) => Math.round((b / 1024 / 1024) * 100) / 100;

async function connect(url) {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
  c.stream.setNoDelay?.(true);
  return c;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** A child process whose output is kept (for the error message) and which is killed at the end. */
function child(cmd, args, opts) {
  const p = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
  p.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
  const exited = new Promise((r) => p.on('close', r));
  return { p, output: () => out, stop: async () => (p.exitCode === null && p.signalCode === null ? (p.kill('SIGTERM'), await exited) : undefined) };
}

/** Publishes a change every 250 ms until a command comes out (the system is up and the rule armed). */
async function armed(device, inTopic, outTopic, what, ms = 60_000) {
  let seen = false;
  const on = (t) => (seen ||= t === outTopic);
  device.on('message', on);
  const until = Date.now() + ms;
  for (let i = 1; !seen && Date.now() < until; i++) {
    device.publish(inTopic, String(i));
    await sleep(250);
  }
  device.off('message', on);
  if (!seen) throw new Error(`${what} never answered on ${outTopic}`);
  await sleep(500);
}

/**
 * One rule over MQTT: change i goes to `inTopic`; commands arrive on `outTopic`. Latency pairs the
 * k-th command with the k-th change (commands of one rule carry no id; none is dropped when the
 * system keeps up, and order holds to within a few at these rates).
 */
/** A process's CPU time so far (user + system), in ms, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

/**
 * `pids`: the rule's process and the broker's (the hub's). Each run reports their CPU time per
 * change: for Hearth both are the hub; for Node-RED and the forwarder the broker's share of the
 * hub is theirs too, as their messages pass through it.
 */
async function measure(device, inTopic, outTopic, pids) {
  const sentAt = [];
  const lat = [];
  let got = 0;
  const onMsg = (topic) => {
    if (topic !== outTopic) return;
    const t = sentAt[got++];
    if (t !== undefined) lat.push(performance.now() - t);
  };
  device.on('message', onMsg);
  const run = async (rate, seconds) => {
    sentAt.length = 0;
    lat.length = 0;
    got = 0;
    const cpu0 = { rule: cpuMs(pids.rule), broker: cpuMs(pids.broker) };
    const total = await paced(rate, seconds, (i) => {
      sentAt.push(performance.now());
      device.publish(inTopic, String((i + 1_000_000 * Math.random()) | 0));
    });
    // Served: every command out within 2 s of the last change.
    const deadline = performance.now() + 2000;
    while (got < total && performance.now() < deadline) await sleep(10);
    const served = got >= total;
    const received = got;
    const perChange = (pid, from) => r3(((cpuMs(pid) - from) * 1000) / total); // µs
    const cpu =
      pids.rule === pids.broker
        ? { us_per_change: perChange(pids.rule, cpu0.rule) }
        : { us_per_change: perChange(pids.rule, cpu0.rule), broker_us_per_change: perChange(pids.broker, cpu0.broker) };
    // Stragglers (a backlog still draining) must not count in the next step: wait until 500 ms pass without a command (at most 15 s).
    for (let last = got, quietSince = performance.now(), until = quietSince + 15_000; performance.now() - quietSince < 500 && performance.now() < until;) {
      await sleep(50);
      if (got !== last) ((last = got), (quietSince = performance.now()));
    }
    const s = sorted(lat); // late commands too: their latency is what a user waited
    return { rate, sent: total, received, served, p50: r3(pct(s, 50)), p99: r3(pct(s, 99)), cpu, ...(got > received ? { late: got - received } : {}) };
  };
  // Warm-up, the same for every system and not counted: the first seconds of load pay for JIT
  // compilation and first allocations, which a hub that runs for years pays once.
  if (WARM_SECONDS > 0) await run(Math.min(RATE, 250), WARM_SECONDS);
  const paced500 = await run(RATE, SECONDS);
  const steps = [];
  for (const rate of STEPS) {
    const r = await run(rate, STEP_SECONDS);
    steps.push(r);
    if (!r.served || r.p99 > 1000) break;
  }
  device.off('message', onMsg);
  const ok = steps.filter((r) => r.served && r.p99 <= 1000);
  return { paced: paced500, saturation: ok.length ? ok[ok.length - 1].rate : 0, steps };
}

/** Hearth as its own process, the rule as a workflow file; the device's two entities by discovery. */
async function startHearth(mqttPort) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-wf-proc-'));
  mkdirSync(join(dir, 'config', 'workflows'), { recursive: true });
  writeFileSync(
    join(dir, 'config', 'workflows', 'bench.yaml'),
    'name: Bench rule\nmode: parallel\nmax: 50\nmax_runs_per_minute: 100000\ntriggers:\n  - state: sensor.bench_in\nconditions:\n  - expr: "trigger.to >= 0"\nsteps:\n  - action: {entity_id: switch.bench_out, operation: turn_on}\n',
  );
  // WF_BENCH_HUB_ARGS: extra node flags for the hub's process (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const extra = (process.env.WF_BENCH_HUB_ARGS ?? '').split(' ').filter(Boolean);
  const hub = child(
    process.execPath,
    [...extra, '--max-semi-space-size=2', '--v8-pool-size=1', join(REPO, 'bin/hearth.js'), 'start', '--data', join(dir, 'data')],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HEARTH_HTTP_HOST: '127.0.0.1',
        HEARTH_HTTP_PORT: '0',
        HEARTH_MQTT_HOST: '127.0.0.1',
        HEARTH_MQTT_PORT: String(mqttPort),
        HEARTH_MQTT_ALLOW_ANONYMOUS: 'true',
        HEARTH_MQTT_MESSAGES_PER_SECOND: '1000000',
        HEARTH_MQTT_MESSAGE_BURST: '1000000',
        HEARTH_POLICY_CONFIRM_TIMEOUT_S: '2',
        HEARTH_HUB_DEMO: 'false',
        HEARTH_HUB_LOG_LEVEL: 'warn',
      },
    },
  );
  return { ...hub, dir, stop: async () => (await hub.stop(), rmSync(dir, { recursive: true, force: true })) };
}

/** Node-RED from npm into a temporary directory, with the rule as flows.json against `mqttPort`. */
async function startNodeRed(mqttPort) {
  let dir = process.env.NODE_RED_DIR;
  const own = !dir;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'hearth-bench-node-red-'));
    execFileSync('npm', ['install', '--prefix', dir, `node-red@${NODE_RED_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
  }
  const red = join(dir, 'node_modules', 'node-red', 'red.js');
  if (!existsSync(red)) throw new Error(`no Node-RED in ${dir}`);
  const user = mkdtempSync(join(tmpdir(), 'hearth-bench-node-red-user-'));
  const flows = [
    { id: 'tab1', type: 'tab', label: 'bench' },
    {
      id: 'broker1',
      type: 'mqtt-broker',
      name: 'hub',
      broker: '127.0.0.1',
      port: String(mqttPort),
      clientid: '',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: 'in1',
      type: 'mqtt in',
      z: 'tab1',
      topic: 'bench/nr/in',
      qos: '0',
      datatype: 'utf8',
      broker: 'broker1',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['sw1']],
    },
    {
      id: 'sw1',
      type: 'switch',
      z: 'tab1',
      property: 'payload',
      propertyType: 'msg',
      rules: [{ t: 'gte', v: '0', vt: 'num' }],
      checkall: 'true',
      repair: false,
      outputs: 1,
      wires: [['ch1']],
    },
    { id: 'ch1', type: 'change', z: 'tab1', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'ON', tot: 'str' }], wires: [['out1']] },
    { id: 'out1', type: 'mqtt out', z: 'tab1', topic: 'bench/nr/out/set', qos: '0', retain: 'false', broker: 'broker1', wires: [] },
  ];
  writeFileSync(join(user, 'flows.json'), JSON.stringify(flows));
  const uiPort = await freePort();
  writeFileSync(
    join(user, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', uiPort: ${uiPort}, flowFile: 'flows.json', userDir: ${JSON.stringify(user)}, credentialSecret: false, logging: { console: { level: 'warn', metrics: false, audit: false } }, diagnostics: { enabled: false }, telemetry: { enabled: false } };\n`,
  );
  // TCP_NODELAY on Node-RED's own MQTT client socket (it has no setting for it).
  writeFileSync(
    join(user, 'nodelay.cjs'),
    "const net = require('net'); const connect = net.Socket.prototype.connect; net.Socket.prototype.connect = function (...a) { this.setNoDelay(true); return connect.apply(this, a); };\n",
  );
  const proc = child(process.execPath, ['-r', join(user, 'nodelay.cjs'), red, '--settings', join(user, 'settings.js'), '--userDir', user], {
    cwd: user,
    env: { PATH: process.env.PATH, HOME: user },
  });
  return {
    ...proc,
    version: NODE_RED_VERSION,
    stop: async () => {
      await proc.stop();
      rmSync(user, { recursive: true, force: true });
      if (own) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const results = [];
const procs = [];
const clients = [];
const sideBySide = { hearth: null, nodeRed: null, bare: null, nodeRedError: null };
try {
  const mqttPort = await freePort();
  const hearthProc = await startHearth(mqttPort);
  procs.push(hearthProc);
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  let device;
  for (let i = 0; i < 200 && !device; i++) device = await connect(mqttUrl).catch(() => sleep(100).then(() => undefined));
  if (!device) throw new Error(`the hub did not start: ${hearthProc.output()}`);
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
  await device.subscribeAsync(['bench/out/set', 'bench/nr/out/set', 'bench/fwd/out']);
  await device.publishAsync('bench/out/state', 'ON', { retain: true });
  // A real switch reports its state after each command; the gate confirms by it.
  device.on('message', (topic, payload) => {
    if (topic === 'bench/out/set') device.publish('bench/out/state', payload.toString());
  });
  await armed(device, 'bench/in/state', 'bench/out/set', 'Hearth');
  sideBySide.hearth = await measure(device, 'bench/in/state', 'bench/out/set', { rule: hearthProc.p.pid, broker: hearthProc.p.pid });
  if (process.env.WF_BENCH_DEBUG) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(hearthProc.dir, 'data', 'hearth.db'), { readonly: true });
    const q = (sql) => JSON.stringify(db.prepare(sql).all());
    process.stderr.write(
      `hub output:\n${hearthProc.output()}\nruns ${q('SELECT state, COUNT(*) n, AVG(finished_at - started_at) avg_ms, MAX(finished_at - started_at) max_ms FROM workflow_runs GROUP BY state')}\nsteps ${q('SELECT state, COUNT(*) n FROM workflow_steps GROUP BY state')}\naudit ${q('SELECT kind, COUNT(*) n FROM audit GROUP BY kind')}\nhistory ${q('SELECT entity_id, COUNT(*) n FROM state_history GROUP BY entity_id')}\n`,
    );
    db.close();
  }

  if (ONLY_HEARTH) throw Object.assign(new Error('only the hub was asked for'), { onlyHearth: true });
  try {
    const nr = await startNodeRed(mqttPort);
    procs.push(nr);
    await armed(device, 'bench/nr/in', 'bench/nr/out/set', `Node-RED (${nr.output()})`);
    sideBySide.nodeRed = await measure(device, 'bench/nr/in', 'bench/nr/out/set', { rule: nr.p.pid, broker: hearthProc.p.pid });
    await nr.stop();
  } catch (err) {
    sideBySide.nodeRedError = `Node-RED ${NODE_RED_VERSION} could not be installed or started: ${String(err.message ?? err).slice(0, 300)}`;
    process.stderr.write(`${sideBySide.nodeRedError}\n`);
  }

  // The same rule as a bare mqtt.js client in its own process (no audit, no gate, no trail).
  const fwd = child(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import mqtt from 'mqtt'; const c = await mqtt.connectAsync(${JSON.stringify(mqttUrl)}, { reconnectPeriod: 0 }); c.stream.setNoDelay(true); await c.subscribeAsync('bench/fwd/in'); c.on('message', (_t, p) => { if (Number(p.toString()) >= 0) c.publish('bench/fwd/out', 'ON'); }); console.log('ready');`,
    ],
    { cwd: REPO },
  );
  procs.push(fwd);
  await armed(device, 'bench/fwd/in', 'bench/fwd/out', 'the bare forwarder');
  sideBySide.bare = await measure(device, 'bench/fwd/in', 'bench/fwd/out', { rule: fwd.p.pid, broker: hearthProc.p.pid });
} catch (err) {
  if (!err.onlyHearth) throw err;
} finally {
  for (const c of clients) await c.endAsync().catch(() => {});
  for (const p of procs.reverse()) await p.stop().catch(() => {});
}
if (ONLY_HEARTH) {
  process.stdout.write(`${JSON.stringify(sideBySide.hearth)}\n`);
  process.exit(0);
}
{
  const { hearth, nodeRed, bare, nodeRedError } = sideBySide;
  const base = nodeRed ? { label: `Node-RED ${NODE_RED_VERSION}` } : null;
  const steps = (m) =>
    m.steps
      .map((r) => `${r.rate}/s: ${r.received}/${r.sent}${r.served ? '' : ` (fell behind${r.late ? `; ${r.late} more later` : ''})`}, p99 ${r.p99} ms`)
      .join('; ');
  results.push(
    {
      metric: `state change → workflow → device command, p50 at ${RATE}/s`,
      value: hearth.paced.p50,
      unit: 'ms',
      ...(base ? { baseline: { ...base, value: nodeRed.paced.p50 } } : {}),
      note: `${hearth.paced.received}/${hearth.paced.sent} commands within 2 s${hearth.paced.late ? ` (${hearth.paced.late} more later)` : ''}, each run and action written with synchronous=FULL and audited (one fsync before the command); bare mqtt.js forwarder p50 ${bare.paced.p50} ms${nodeRedError ? `; ${nodeRedError}` : ''}`,
    },
    {
      metric: `state change → workflow → device command, p99 at ${RATE}/s`,
      value: hearth.paced.p99,
      unit: 'ms',
      ...(base ? { baseline: { ...base, value: nodeRed.paced.p99 } } : {}),
      note: `target: at or below Node-RED's; bare mqtt.js forwarder p99 ${bare.paced.p99} ms${nodeRed ? `; Node-RED ${nodeRed.paced.received}/${nodeRed.paced.sent}` : ''}`,
    },
    {
      metric: `CPU time per change at ${RATE}/s: the rule's process, with the broker's share`,
      value: hearth.paced.cpu.us_per_change,
      unit: 'µs',
      ...(nodeRed
        ? {
            baseline: {
              label: `Node-RED ${NODE_RED_VERSION} + the broker for its messages`,
              value: r3(nodeRed.paced.cpu.us_per_change + nodeRed.paced.cpu.broker_us_per_change),
            },
          }
        : {}),
      note: `from /proc over the ${SECONDS}-s run; Hearth's process is also the broker (its trail, gate, registry and history included)${nodeRed ? `; Node-RED ${nodeRed.paced.cpu.us_per_change} µs in its own process + ${nodeRed.paced.cpu.broker_us_per_change} µs in the hub's broker` : ''}; bare forwarder ${bare.paced.cpu.us_per_change} + ${bare.paced.cpu.broker_us_per_change} µs`,
    },
    {
      metric: 'saturation: highest offered rate with every change answered by its command',
      value: hearth.saturation,
      unit: '/s',
      ...(base ? { baseline: { ...base, value: nodeRed.saturation } } : {}),
      note: `steps of ${STEP_SECONDS} s; Hearth ${steps(hearth)}${nodeRed ? ` | Node-RED ${steps(nodeRed)}` : ''} | bare forwarder ${bare.saturation}/s`,
    },
  );
}

const { hub, cleanup } = await createBenchHub('hearth-bench-workflows-');
const members = hub.services.get('members').members;
await members.create({ username: 'owner', display_name: 'Owner', role: 'owner', password: 'bench password 123' }, { id: 'bench', origin: 'cli' });
await hub.start();
try {
  const wf = hub.services.get('workflows');
  const registry = wf.deps.entities;
  registry.upsert({ id: 'switch.bench_out', name: 'Bench out', domain: 'switch', state: 'on', source: 'bench' });
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
process.stdout.write(`${JSON.stringify({ name: 'workflows', results, load: loadavg().map((x) => r3(x)), details: sideBySide })}\n`);
