// The action gate's cost, measured on a real hub (store with synchronous=FULL, audit chain,
// members, settings) with an adapter that confirms at once, so that only the gate is timed.
//   1. a low-risk action allowed straight away, next to calling the adapter directly (p50/p99);
//   2. request → approve → executed → confirmed for a high-risk action, device delay taken out.
// Run after `npm run build`: node bench/gate.bench.mjs  (prints one JSON object)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { EntityRegistry } from '../dist/devices/registry.js';
import { ActionGate } from '../dist/gate/gate.js';
import { createBenchHub, r3, timings as summary } from './lib.mjs';

const DIRECT_N = Number(process.env.GATE_BENCH_DIRECT_N ?? 2000);
const GATE_N = Number(process.env.GATE_BENCH_N ?? 500);
const APPROVAL_N = Number(process.env.GATE_BENCH_APPROVAL_N ?? 200);

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

const { hub, cleanup } = await createBenchHub('hearth-bench-gate-');
// Members before start: with an owner present, first run prints no setup code into our JSON.
const members = hub.services.get('members').members;
const by = { id: 'bench', origin: 'cli' };
const owner = await members.create({ username: 'owner', display_name: 'Owner', role: 'owner', pin: '2468' }, by);
const adult = await members.create({ username: 'adult', display_name: 'Adult', role: 'adult', pin: '1357' }, by);
await hub.start();
try {
  const registry = new EntityRegistry(hub.ctx.bus, hub.ctx.clock);
  registry.upsert({ id: 'light.bench', name: 'Bench light', domain: 'light', state: 'off', source: 'bench' });
  registry.upsert({ id: 'lock.bench', name: 'Bench lock', domain: 'lock', state: 'locked', source: 'bench' });
  const adapter = new InstantAdapter(registry);
  const gate = new ActionGate(hub.ctx, { members, registry, adapters: new Map([['bench', adapter]]) });
  gate.start();

  // 1a. The adapter called directly (what the gate adds its work to).
  const direct = [];
  for (let i = 0; i < DIRECT_N; i++) {
    const entity = registry.get('light.bench');
    const t0 = performance.now();
    await adapter.execute(entity, i % 2 ? 'turn_off' : 'turn_on', {});
    direct.push(performance.now() - t0);
  }
  // 1b. The same through the gate: policy, three audit entries on disk, confirmation by state.
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
  // 2. A high-risk action: request (envelope + audit), one approval (Telegram: no PIN hashing),
  //    executing, the command, confirmation, the final state; each state change on disk.
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
  // 3. One audit append on its own (synchronous=FULL): the unit the gate's cost is made of.
  const appends = [];
  for (let i = 0; i < GATE_N; i++) {
    const t0 = performance.now();
    hub.ctx.audit.append({ actor: 'bench', origin: 'cli', kind: 'bench.append', data: { i } });
    appends.push(performance.now() - t0);
  }
  await gate.stop();

  const d = summary(direct);
  const g = summary(gated);
  const f = summary(flow);
  const q = summary(requestPart);
  const a = summary(appends);
  const load = `load average ${Math.round(loadavg()[0] * 100) / 100}`;
  // The harness's contract shape (bench/run.mjs); the raw summaries are kept under `details`.
  const out = {
    name: 'gate',
    results: [
      {
        metric: 'low-risk action: latency the gate adds (p50)',
        value: r3(g.p50_ms - d.p50_ms),
        unit: 'ms',
        baseline: { label: 'adapter called directly p50', value: d.p50_ms },
        note: `through the gate p50 ${g.p50_ms} ms (${g.n} actions): policy, 3 audit entries (synchronous=FULL), execute, confirm; ${load}`,
      },
      {
        metric: 'low-risk action: latency the gate adds (p99)',
        value: r3(g.p99_ms - d.p99_ms),
        unit: 'ms',
        baseline: { label: 'adapter called directly p99', value: d.p99_ms },
        note: `through the gate p99 ${g.p99_ms} ms`,
      },
      { metric: 'low-risk action through the gate (p50)', value: g.p50_ms, unit: 'ms', baseline: { label: 'adapter called directly p50', value: d.p50_ms } },
      { metric: 'low-risk action through the gate (p99)', value: g.p99_ms, unit: 'ms', baseline: { label: 'adapter called directly p99', value: d.p99_ms } },
      {
        metric: 'approval flow: request → approve → executed → confirmed (p50)',
        value: f.p50_ms,
        unit: 'ms',
        note: `${f.n} high-risk actions, one approval each (telegram, no PIN); instant adapter, so no device delay`,
      },
      { metric: 'approval flow: request → approve → executed → confirmed (p99)', value: f.p99_ms, unit: 'ms' },
      { metric: 'approval flow: the request alone, envelope + audit (p50)', value: q.p50_ms, unit: 'ms' },
      { metric: 'approval flow: the request alone, envelope + audit (p99)', value: q.p99_ms, unit: 'ms' },
      { metric: 'one audit append, synchronous=FULL (p50)', value: a.p50_ms, unit: 'ms', note: "the unit the gate's cost is made of" },
      { metric: 'one audit append, synchronous=FULL (p99)', value: a.p99_ms, unit: 'ms' },
    ],
    details: {
      node: process.version,
      audit_append: a,
      low_risk_action: { adapter_direct: d, through_gate: g },
      approval_flow: { request_to_confirmed: f, request_only: q },
    },
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  await hub.stop();
  cleanup();
}
