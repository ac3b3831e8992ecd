// The action gate's cost, measured on a real hub (store with synchronous=FULL, audit chain,
// members, settings) with an adapter that confirms at once, so that only the gate is timed.
//   1. a low-risk action allowed straight away, next to the same action with the gate bypassed
//      (the adapter called directly) in the same run (p50/p99);
//   2. request → approve → executed → confirmed for a high-risk action, device delay taken out;
//   3. the durability floor: one bare one-row commit with synchronous=FULL on the same disk (the
//      gate must make at least one before the effect), and the commits the gate makes per action;
//   4. 50 low-risk actions asked at once: group commit shares the commits between them;
//   5. 1 again with the data directory on tmpfs (/dev/shm), where an fsync costs next to nothing:
//      what the gate's own work costs, apart from the disk.
// Run after `npm run build`: node bench/gate.bench.mjs  (prints one JSON object)
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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

/** 1a/1b: the adapter directly, then the same actions through the gate. */
async function lowRisk({ registry, adapter, gate, adult, hub }) {
  const direct = [];
  for (let i = 0; i < DIRECT_N; i++) {
    const entity = registry.get('light.bench');
    const t0 = performance.now();
    await adapter.execute(entity, i % 2 ? 'turn_off' : 'turn_on', {});
    direct.push(performance.now() - t0);
  }
  const stats = commitsFor(hub.ctx.store.db).stats;
  const before = { ...stats };
  const gated = [];
  for (let i = 0; i < GATE_N; i++) {
    const t0 = performance.now();
    const out = await gate.request({
      action: { entity_id: 'light.bench', operation: i % 2 ? 'turn_off' : 'turn_on' },
      origin: { member_id: adult.id, channel: 'web' },
    });
    gated.push(performance.now() - t0);
    if (out.status !== 'executed') throw new Error(`gate said ${JSON.stringify(out)}`);
  }
  return { d: summary(direct), g: summary(gated), commits: (stats.commits - before.commits) / GATE_N, entries: (stats.writes - before.writes) / GATE_N };
}

const load = () => `load average ${r3(loadavg()[0])}`;
const results = [];
const details = { node: process.version };

const onDisk = await setUp();
try {
  const { hub, gate, adult, owner, registry, adapter, dataDir } = onDisk;
  const low = await lowRisk(onDisk);
  // 2. A high-risk action: request (envelope + audit), one approval (Telegram: no PIN hashing),
  //    executing, the command, confirmation, the final state; each state change on disk.
  const stats = commitsFor(hub.ctx.store.db).stats;
  const before = { ...stats };
  const flow = [];
  const requestPart = [];
  for (let i = 0; i < APPROVAL_N; i++) {
    const t0 = performance.now();
    const out = await gate.request({ action: { entity_id: 'lock.bench', operation: 'unlock' }, origin: { member_id: adult.id, channel: 'web' } });
    const t1 = performance.now();
    if (out.status !== 'pending') throw new Error(`expected an envelope, got ${JSON.stringify(out)}`);
    const done = await gate.decide(out.approval_id, { member_id: owner.id, decision: 'approve', channel: 'telegram' });
    flow.push(performance.now() - t0);
    requestPart.push(t1 - t0);
    if (done.state !== 'executed') throw new Error(`envelope ended ${done.state}`);
    // Lock it again directly so the next unlock has something to do (not timed).
    await adapter.execute(registry.get('lock.bench'), 'lock', {});
  }
  const flowCommits = (stats.commits - before.commits) / APPROVAL_N;
  // 3. The floor: one audit append, and one bare one-row commit on its own connection to a file
  //    beside the hub's, both synchronous=FULL in WAL mode.
  const appends = [];
  for (let i = 0; i < GATE_N; i++) {
    const t0 = performance.now();
    hub.ctx.audit.append({ actor: 'bench', origin: 'cli', kind: 'bench.append', data: { i } });
    appends.push(performance.now() - t0);
  }
  const bare = new Database(join(dataDir, 'bare.db'));
  bare.pragma('journal_mode = WAL');
  bare.pragma('synchronous = FULL');
  bare.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = bare.prepare('INSERT INTO t (v) VALUES (?)');
  const bareCommits = [];
  for (let i = 0; i < GATE_N; i++) {
    const t0 = performance.now();
    ins.run(`row ${i}`);
    bareCommits.push(performance.now() - t0);
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

  const { d, g } = low;
  const f = summary(flow);
  const q = summary(requestPart);
  const a = summary(appends);
  const c = summary(bareCommits);
  const bu = summary(burst);
  results.push(
    {
      metric: 'low-risk action: latency the gate adds (p50)',
      value: r3(g.p50_ms - d.p50_ms),
      unit: 'ms',
      baseline: { label: 'gate bypassed (adapter called directly) p50', value: d.p50_ms },
      note: `through the gate p50 ${g.p50_ms} ms (${g.n} actions): policy, 3 audit entries in ${r3(low.commits)} commits (synchronous=FULL), execute, confirm; ${load()}`,
    },
    {
      metric: 'low-risk action: latency the gate adds (p99)',
      value: r3(g.p99_ms - d.p99_ms),
      unit: 'ms',
      baseline: { label: 'gate bypassed (adapter called directly) p99', value: d.p99_ms },
      note: `through the gate p99 ${g.p99_ms} ms; target < 1 ms`,
    },
    {
      metric: 'low-risk action: durable commits per action',
      value: r3(low.commits),
      unit: 'commits',
      note: 'one before the command is sent (the request), one after',
    },
    {
      metric: 'durability floor: one bare one-row commit, synchronous=FULL (p50)',
      value: c.p50_ms,
      unit: 'ms',
      note: 'its own better-sqlite3 connection, WAL, same disk, same run: the least any audited action can cost',
    },
    { metric: 'durability floor: one bare one-row commit, synchronous=FULL (p99)', value: c.p99_ms, unit: 'ms' },
    { metric: 'one audit append, synchronous=FULL (p50)', value: a.p50_ms, unit: 'ms', baseline: { label: 'bare one-row commit p50', value: c.p50_ms } },
    { metric: 'one audit append, synchronous=FULL (p99)', value: a.p99_ms, unit: 'ms', baseline: { label: 'bare one-row commit p99', value: c.p99_ms } },
    {
      metric: 'approval flow: request → approve → executed → confirmed (p50)',
      value: f.p50_ms,
      unit: 'ms',
      note: `${f.n} high-risk actions, one approval each (telegram, no PIN); instant adapter, so no device delay; ${r3(flowCommits)} commits per flow`,
    },
    { metric: 'approval flow: request → approve → executed → confirmed (p99)', value: f.p99_ms, unit: 'ms', note: 'target < 10 ms' },
    { metric: 'approval flow: the request alone, envelope + audit (p50)', value: q.p50_ms, unit: 'ms' },
    { metric: 'approval flow: the request alone, envelope + audit (p99)', value: q.p99_ms, unit: 'ms' },
    {
      metric: `${BURST} low-risk actions asked at once: each one's latency (p99)`,
      value: bu.p99_ms,
      unit: 'ms',
      note: `p50 ${bu.p50_ms} ms; ${r3(burstCommits)} commits per action (group commit: one per turn of the event loop)`,
    },
  );
  Object.assign(details, {
    audit_append: a,
    bare_commit: c,
    low_risk_action: { adapter_direct: d, through_gate: g, commits_per_action: low.commits },
    approval_flow: { request_to_confirmed: f, request_only: q, commits_per_flow: flowCommits },
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
        note: load(),
      },
    );
    details.tmpfs_low_risk_action = { adapter_direct: low.d, through_gate: low.g };
  } finally {
    await onTmpfs.done();
  }
}
console.log(JSON.stringify({ name: 'gate', results, details }, null, 2));
