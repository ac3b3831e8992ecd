// The action gate's cost, measured on a real hub (store with synchronous=FULL, audit chain,
// members, settings) with an adapter that confirms at once, so that only the gate is timed.
//   1. a low-risk action allowed straight away, next to (a) the same action with the gate bypassed
//      (the adapter called directly) and (b) the durable write done bare: one synchronous=FULL
//      commit of one row as large as the action's audit entries, on its own connection to a file
//      beside the hub's, interleaved with the gated actions (one each, in turn) so both see the
//      same load. "Added beyond durability" = gated − bare commit: what the gate costs beyond the
//      one fsync an audited action cannot avoid (it makes two: before the command, after it);
//      run twice on one hub: with the group commit's fsync on the event loop, then off it (shipped);
//   2. request → approve → executed → confirmed for a high-risk action, device delay taken out;
//   3. the durability floor: one bare one-row commit with synchronous=FULL on the same disk (the
//      gate must make at least one before the effect), and the commits the gate makes per action;
//   4. 50 low-risk actions asked at once: group commit shares the commits between them;
//   5. 1 again with the data directory on tmpfs (/dev/shm), where an fsync costs next to nothing:
//      what the gate's own work costs, apart from the disk;
//   6. a candidate measured, not adopted: the same bare commit made by a worker thread that owns
//      the connection, the main thread awaiting its answer (the event loop is free during the
//      fsync, but the awaiting action still waits for it, plus the message round trip).
// Run after `npm run build`: node bench/gate.bench.mjs  (prints one JSON object)
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { EntityRegistry } from '../dist/devices/registry.js';
import { ActionGate } from '../dist/gate/gate.js';
import { commitsFor } from '../dist/store/commits.js';
import { createBenchHub, r3, timings as summary } from './lib.mjs';

const DIRECT_N = Number(process.env.GATE_BENCH_DIRECT_N ?? 2000);
const GATE_N = Number(process.env.GATE_BENCH_N ?? 500);
const APPROVAL_N = Number(process.env.GATE_BENCH_APPROVAL_N ?? 200);
const BURST = 50;

/** Confirms every command at once: the state is reported before execute() returns. */
class InstantAdapter {
  name = 'bench-adapter';
  source = 'bench';
  constructor(registry) {
    this.registry = registry;
  }
  start() {}
  stop() {}
  async execute(entity, operation) {
    const next = { turn_on: 'on', turn_off: 'off', lock: 'locked', unlock: 'unlocked' }[operation];
    if (next) this.registry.setState(entity.id, next);
  }
}

/** A hub with an owner and an adult, a gate over an instant adapter, on a data directory under `tmp`. */
async function setUp(tmp) {
  const saved = process.env.TMPDIR;
  if (tmp) process.env.TMPDIR = tmp;
  const { hub, cleanup, dataDir } = await createBenchHub('hearth-bench-gate-');
  if (tmp) process.env.TMPDIR = saved;
  // Members before start: with an owner present, first run prints no setup code into our JSON.
  const members = hub.services.get('members').members;
  const by = { id: 'bench', origin: 'cli' };
  const owner = await members.create({ username: 'owner', display_name: 'Owner', role: 'owner', pin: '2468' }, by);
  const adult = await members.create({ username: 'adult', display_name: 'Adult', role: 'adult', pin: '1357' }, by);
  await hub.start();
  const registry = new EntityRegistry(hub.ctx.bus, hub.ctx.clock);
  registry.upsert({ id: 'light.bench', name: 'Bench light', domain: 'light', state: 'off', source: 'bench' });
  registry.upsert({ id: 'lock.bench', name: 'Bench lock', domain: 'lock', state: 'locked', source: 'bench' });
  for (let i = 0; i < BURST; i++) registry.upsert({ id: `light.bench_${i}`, name: `Light ${i}`, domain: 'light', state: 'off', source: 'bench' });
  const adapter = new InstantAdapter(registry);
  const gate = new ActionGate(hub.ctx, { members, registry, adapters: new Map([['bench', adapter]]) });
  gate.start();
  const done = async () => {
    await gate.stop();
    await hub.stop();
    cleanup();
  };
  return { hub, dataDir, owner, adult, registry, adapter, gate, done };
}

/** A bare synchronous=FULL WAL connection to a file beside the hub's: the durable write with nothing else. */
function bareDb(dataDir, name = 'bare.db') {
  const db = new Database(join(dataDir, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
  return db;
}

/** Bytes of the audit rows written after `afterSeq` (every column), per action. */
function auditBytes(hub, afterSeq, actions) {
  const row = hub.ctx.store.db
    .prepare(
      "SELECT COALESCE(SUM(length(at) + length(actor) + length(origin) + length(kind) + length(COALESCE(subject, '')) + length(data) + length(prev_hash) + length(hash)), 0) AS b FROM audit WHERE seq > ?",
    )
    .get(afterSeq);
  return Math.round(row.b / actions);
}

const headSeq = (hub) => hub.ctx.store.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM audit').get().s;

const ask = (gate, adult, entity, i) =>
  gate.request({ action: { entity_id: entity, operation: i % 2 ? 'turn_off' : 'turn_on' }, origin: { member_id: adult.id, channel: 'web' } });

/** 1: the adapter directly; then gated actions, each followed by one bare FULL commit of a row of the same size. */
async function lowRisk({ registry, adapter, gate, adult, hub, dataDir }) {
  const direct = [];
  for (let i = 0; i < DIRECT_N; i++) {
    const entity = registry.get('light.bench');
    const t0 = performance.now();
    await adapter.execute(entity, i % 2 ? 'turn_off' : 'turn_on', {});
    direct.push(performance.now() - t0);
  }
  // The size of an action's entries, from a few actions not timed.
  const seq0 = headSeq(hub);
  for (let i = 0; i < 10; i++) await ask(gate, adult, 'light.bench', i);
  const rowBytes = auditBytes(hub, seq0, 10);
  const payload = 'x'.repeat(rowBytes);
  const bare = bareDb(dataDir);
  const ins = bare.prepare('INSERT INTO t (v) VALUES (?)');
  const stats = commitsFor(hub.ctx.store.db).stats;
  const before = { ...stats };
  const gated = [];
  const bareCommits = [];
  const spans = [];
  const cpu = [];
  const gcs = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries().map((e) => [e.startTime, e.startTime + e.duration])));
  observer.observe({ entryTypes: ['gc'] });
  let commitMs = 0;
  for (let i = 0; i < GATE_N; i++) {
    const c0 = stats.ms;
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await ask(gate, adult, 'light.bench', i);
    const t1 = performance.now();
    const u = process.cpuUsage(u0);
    cpu.push((u.user + u.system) / 1000);
    gated.push(t1 - t0);
    spans.push([t0, t1]);
    commitMs += stats.ms - c0;
    if (out.status !== 'executed') throw new Error(`gate said ${JSON.stringify(out)}`);
    const t2 = performance.now();
    ins.run(payload);
    bareCommits.push(performance.now() - t2);
  }
  bare.close();
  await new Promise((r) => setImmediate(r)); // the observer's last entries
  observer.disconnect();
  // Which actions a garbage collection ran during: the tail with and without them.
  const hitByGc = spans.map(([a, b]) => gcs.some(([s, e]) => s < b && e > a));
  const noGc = gated.filter((_, i) => !hitByGc[i]);
  return {
    d: summary(direct),
    g: summary(gated),
    c: summary(bareCommits),
    rowBytes,
    commits: (stats.commits - before.commits) / GATE_N,
    entries: (stats.writes - before.writes) / GATE_N,
    commitMsPerAction: commitMs / GATE_N,
    cpu: summary(cpu),
    gc: { actions_with_gc: hitByGc.filter(Boolean).length, gc_ms_per_action: gcs.reduce((t, [a, b]) => t + b - a, 0) / GATE_N, without_gc: summary(noGc) },
  };
}

/** 6: one bare FULL commit made by a worker thread owning the connection, awaited by the main thread. */
async function workerCommits(dataDir, rowBytes, n) {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.sqlite);
    const db = new Database(workerData.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
    const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
    parentPort.on('message', (v) => { if (v === null) { db.close(); parentPort.close(); return; } ins.run(v); parentPort.postMessage(1); });`;
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(code, { eval: true, workerData: { sqlite, file: join(dataDir, 'worker.db') } });
  const payload = 'x'.repeat(rowBytes);
  const roundTrips = [];
  const blocked = [];
  const once = () => new Promise((resolve) => worker.once('message', resolve));
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const answer = once();
    worker.postMessage(payload);
    blocked.push(performance.now() - t0); // the main thread's share: posting the row
    await answer;
    roundTrips.push(performance.now() - t0);
  }
  worker.postMessage(null);
  await new Promise((resolve) => worker.once('exit', resolve));
  return { roundTrip: summary(roundTrips), mainThread: summary(blocked) };
}

const load = () => `load average ${r3(loadavg()[0])}`;
const results = [];
const details = { node: process.version };

const onDisk = await setUp();
try {
  const { hub, gate, adult, owner, registry, adapter, dataDir } = onDisk;
  // The same actions with the group commit's fsync on the event loop (as before issue 15), then as shipped: off it.
  commitsFor(hub.ctx.store.db).fsyncOnEventLoop(true);
  const onLoop = await lowRisk(onDisk);
  commitsFor(hub.ctx.store.db).fsyncOnEventLoop(false);
  const low = await lowRisk(onDisk);
  // 2. A high-risk action: request (envelope + audit), one approval (Telegram: no PIN hashing),
  //    executing, the command, confirmation, the final state; each state change on disk.
  const stats = commitsFor(hub.ctx.store.db).stats;
  const before = { ...stats };
  const flow = [];
  const requestPart = [];
  const listening = [];
  // The time the bus spends in other parts' listeners of the gate's events (the notification
  // router offers each envelope and reports its end; its outbox writes go to the group commit).
  const bus = hub.ctx.bus;
  const emit = bus.emit.bind(bus);
  let inListeners = 0;
  bus.emit = (event, payload) => {
    if (!String(event).startsWith('approval.') && event !== 'action.executed') return emit(event, payload);
    const t = performance.now();
    try {
      return emit(event, payload);
    } finally {
      inListeners += performance.now() - t;
    }
  };
  for (let i = 0; i < APPROVAL_N; i++) {
    inListeners = 0;
    const t0 = performance.now();
    const out = await gate.request({ action: { entity_id: 'lock.bench', operation: 'unlock' }, origin: { member_id: adult.id, channel: 'web' } });
    const t1 = performance.now();
    if (out.status !== 'pending') throw new Error(`expected an envelope, got ${JSON.stringify(out)}`);
    const done = await gate.decide(out.approval_id, { member_id: owner.id, decision: 'approve', channel: 'telegram' });
    flow.push(performance.now() - t0);
    requestPart.push(t1 - t0);
    listening.push(inListeners);
    if (done.state !== 'executed') throw new Error(`envelope ended ${done.state}`);
    // Lock it again directly so the next unlock has something to do (not timed).
    await adapter.execute(registry.get('lock.bench'), 'lock', {});
  }
  const flowCommits = (stats.commits - before.commits) / APPROVAL_N;
  bus.emit = emit;
  // 3. One audit append on its own, next to the bare commit of a row its size, interleaved.
  const appends = [];
  const appendBare = [];
  const bare = bareDb(dataDir, 'bare-append.db');
  const ins = bare.prepare('INSERT INTO t (v) VALUES (?)');
  const seqA = headSeq(hub);
  hub.ctx.audit.append({ actor: 'bench', origin: 'cli', kind: 'bench.append', data: { i: 0 } });
  const appendRow = 'x'.repeat(auditBytes(hub, seqA, 1));
  for (let i = 0; i < GATE_N; i++) {
    const t0 = performance.now();
    hub.ctx.audit.append({ actor: 'bench', origin: 'cli', kind: 'bench.append', data: { i } });
    appends.push(performance.now() - t0);
    const t1 = performance.now();
    ins.run(appendRow);
    appendBare.push(performance.now() - t1);
  }
  bare.close();
  // 4. A burst: BURST actions on BURST lights asked in one turn; each one's latency, and commits.
  const b0 = { ...stats };
  const burst = [];
  for (let round = 0; round < 10; round++) {
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        gate
          .request({
            action: { entity_id: `light.bench_${i}`, operation: round % 2 ? 'turn_off' : 'turn_on' },
            origin: { member_id: adult.id, channel: 'web' },
          })
          .then((out) => {
            if (out.status !== 'executed') throw new Error(`gate said ${JSON.stringify(out)}`);
            burst.push(performance.now() - t0);
          }),
      ),
    );
  }
  const burstCommits = (stats.commits - b0.commits) / (10 * BURST);

  const { d, g, c } = low;
  const f = summary(flow);
  const q = summary(requestPart);
  const l = summary(listening);
  const a = summary(appends);
  const ab = summary(appendBare);
  const bu = summary(burst);
  const worker = await workerCommits(dataDir, low.rowBytes, GATE_N);
  results.push(
    {
      metric: 'low-risk action: latency the gate adds beyond one bare durable commit (p50)',
      value: r3(g.p50_ms - c.p50_ms),
      unit: 'ms',
      baseline: { label: `bare FULL commit of one ${low.rowBytes}-byte row (the action's entries), interleaved, p50`, value: c.p50_ms },
      note: `through the gate p50 ${g.p50_ms} ms (${g.n} actions): policy, ${r3(low.entries)} audit entries in ${r3(low.commits)} durable commits, execute, confirm; ${r3(low.commitMsPerAction)} ms of each action inside COMMITs (mean); ${load()}`,
    },
    {
      metric: 'low-risk action: latency the gate adds beyond one bare durable commit (p99)',
      value: r3(g.p99_ms - c.p99_ms),
      unit: 'ms',
      baseline: { label: 'bare FULL commit, same row, interleaved, p99', value: c.p99_ms },
      note: `through the gate p99 ${g.p99_ms} ms; the gate makes ${r3(low.commits)} commits per action (one before the command, one after)`,
      target: { op: '<', value: 1 },
    },
    {
      metric: 'low-risk action: latency the gate adds to the bare adapter call (p99)',
      value: r3(g.p99_ms - d.p99_ms),
      unit: 'ms',
      baseline: { label: 'gate bypassed (adapter called directly) p99', value: d.p99_ms },
      note: `p50: adds ${r3(g.p50_ms - d.p50_ms)} ms to ${d.p50_ms} ms; every durable write included`,
    },
    {
      metric: "low-risk action: the event loop's time inside COMMITs per action (mean)",
      value: r3(low.commitMsPerAction),
      unit: 'ms',
      baseline: { label: 'the same with the fsync on the event loop (synchronous FULL commit), same run', value: r3(onLoop.commitMsPerAction) },
      note: `fsync on the event loop: through the gate p50 ${onLoop.g.p50_ms} / p99 ${onLoop.g.p99_ms} ms (bare commit p50 ${onLoop.c.p50_ms} / p99 ${onLoop.c.p99_ms}); off it (shipped): p50 ${g.p50_ms} / p99 ${g.p99_ms} ms`,
    },
    {
      metric: 'low-risk action: durable commits per action',
      value: r3(low.commits),
      unit: 'commits',
      note: `${r3(low.entries)} audit entries: the request before the command is sent; "sent" and "confirmed" after it, in one commit`,
    },
    {
      metric: 'one audit append, synchronous=FULL (p50)',
      value: a.p50_ms,
      unit: 'ms',
      baseline: { label: 'bare FULL commit of a row its size, interleaved, p50', value: ab.p50_ms },
    },
    {
      metric: 'one audit append, synchronous=FULL (p99)',
      value: a.p99_ms,
      unit: 'ms',
      baseline: { label: 'bare FULL commit of a row its size, interleaved, p99', value: ab.p99_ms },
    },
    {
      metric: 'approval flow: request → approve → executed → confirmed (p50)',
      value: f.p50_ms,
      unit: 'ms',
      note: `${f.n} high-risk actions, one approval each (telegram, no PIN); instant adapter, so no device delay; ${r3(flowCommits)} gate commits per flow`,
    },
    {
      metric: 'approval flow: request → approve → executed → confirmed (p99)',
      value: f.p99_ms,
      unit: 'ms',
      baseline: { label: 'bare FULL commit p99, same run', value: c.p99_ms },
      target: { op: '<', value: 10 },
    },
    {
      metric: "approval flow: time in other parts' listeners of the gate's events (p50)",
      value: l.p50_ms,
      unit: 'ms',
      note: `p99 ${l.p99_ms} ms: the notification router turning the events into messages; its outbox writes join the gate's group commits (they run, and are counted, in the commits above)`,
    },
    { metric: 'approval flow: the request alone, envelope + audit (p50)', value: q.p50_ms, unit: 'ms' },
    { metric: 'approval flow: the request alone, envelope + audit (p99)', value: q.p99_ms, unit: 'ms' },
    {
      metric: `${BURST} low-risk actions asked at once: each one's latency (p99)`,
      value: bu.p99_ms,
      unit: 'ms',
      note: `p50 ${bu.p50_ms} ms; ${r3(burstCommits)} commits per action (group commit: one per turn of the event loop)`,
    },
    {
      metric: 'candidate: the bare commit made by a worker thread, awaited (p50)',
      value: worker.roundTrip.p50_ms,
      unit: 'ms',
      baseline: { label: 'bare FULL commit on the main thread p50', value: c.p50_ms },
      note: `main thread busy ${worker.mainThread.p50_ms} ms p50 per commit (posting); the event loop is free during the fsync, the awaiting action is not`,
    },
    {
      metric: 'candidate: the bare commit made by a worker thread, awaited (p99)',
      value: worker.roundTrip.p99_ms,
      unit: 'ms',
      baseline: { label: 'bare FULL commit on the main thread p99', value: c.p99_ms },
    },
  );
  Object.assign(details, {
    audit_append: a,
    audit_append_bare: ab,
    bare_commit: c,
    worker_commit: worker,
    low_risk_action: {
      adapter_direct: d,
      through_gate: g,
      bare_commit: c,
      fsync_on_event_loop: { through_gate: onLoop.g, bare_commit: onLoop.c, commit_ms_per_action: onLoop.commitMsPerAction },
      row_bytes: low.rowBytes,
      commits_per_action: low.commits,
      entries_per_action: low.entries,
      commit_ms_per_action: low.commitMsPerAction,
      gc: low.gc,
      cpu: low.cpu,
    },
    approval_flow: { request_to_confirmed: f, request_only: q, listeners: l, commits_per_flow: flowCommits },
    burst: { ...bu, commits_per_action: burstCommits },
  });
} finally {
  await onDisk.done();
}

// 5. The same low-risk actions with the data directory on tmpfs: the gate's own work.
if (existsSync('/dev/shm')) {
  const onTmpfs = await setUp('/dev/shm');
  try {
    const low = await lowRisk(onTmpfs);
    results.push(
      {
        metric: 'low-risk action on tmpfs: latency the gate adds (p50)',
        value: r3(low.g.p50_ms - low.d.p50_ms),
        unit: 'ms',
        baseline: { label: 'gate bypassed p50', value: low.d.p50_ms },
        note: 'data directory on /dev/shm: the fsyncs cost next to nothing, so this is the gate’s own work (policy, zod, hashing, SQL)',
      },
      {
        metric: 'low-risk action on tmpfs: latency the gate adds (p99)',
        value: r3(low.g.p99_ms - low.d.p99_ms),
        unit: 'ms',
        baseline: { label: 'gate bypassed p99', value: low.d.p99_ms },
        note: `bare FULL commit on tmpfs p50 ${low.c.p50_ms} / p99 ${low.c.p99_ms} ms; ${low.gc.actions_with_gc} of ${low.g.n} actions had a garbage collection run during them; without those, through the gate p99 ${low.gc.without_gc.p99_ms} ms; the process's CPU time per action p50 ${low.cpu.p50_ms} / p99 ${low.cpu.p99_ms} ms (the rest of the tail is waiting for a core); ${load()}`,
      },
    );
    details.tmpfs_low_risk_action = { adapter_direct: low.d, through_gate: low.g, bare_commit: low.c, gc: low.gc, cpu: low.cpu };
  } finally {
    await onTmpfs.done();
  }
}
console.log(JSON.stringify({ name: 'gate', results, details }, null, 2));
