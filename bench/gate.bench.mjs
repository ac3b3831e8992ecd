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
    const out = await gate.request({ action: { entity_id: 'light.bench', operation: i % 2 ? 'turn_off' : 'turn_on' }, origin: { member_id: adult.id, channel: 'web' } });
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
  console.log(
    JSON.stringify(
      {
        bench: 'gate',
        node: process.version,
        loadavg_1m: Math.round(loadavg()[0] * 100) / 100,
        audit_append: summary(appends),
        low_risk_action: {
          adapter_direct: d,
          through_gate: g,
          added_p50_ms: r3(g.p50_ms - d.p50_ms),
          added_p99_ms: r3(g.p99_ms - d.p99_ms),
          note: 'the gate writes 3 audit entries (synchronous=FULL, one fsync each) per action',
        },
        approval_flow: {
          request_to_confirmed: summary(flow),
          request_only: summary(requestPart),
          note: 'request → one approval (telegram, no PIN) → executing → command → confirmed; instant adapter, so no device delay',
        },
      },
      null,
      2,
    ),
  );
} finally {
  await hub.stop();
  cleanup();
}
