// A bench hub in its own process, driven over IPC by a load generator in another (bench/lib.mjs
// `spawnBenchHub`). So the hub's memory, event loop and CPU are its own, and `--one-core` can pin
// this process alone with `taskset -c 0`. Not a bench itself (bench/run.mjs runs *.bench.mjs).
//
// IPC (process.send / 'message'):
//   in:  { flags, owner?: {username, password}, adult?: {...}, pairTelegram?: chatId }  (first message)
//   out: { ready: true, http, mqtt, pid, dataDir, members: {owner, adult} }
//   in:  { id, op: 'sample', gc? }    → { id, sample: {...} }  memory, loop delay, handles, fds, files;
//                                      gc: false skips the full collection (before a latency phase)
//   in:  { id, op: 'approval', entity, operation }  → { id, ms, state }  request → approve → confirmed
//   in:  { id, op: 'notify', text }   → { id }
//   in:  { id, op: 'workflow', yaml } → { id }
//   in:  { id, op: 'stop' }           → { id } then exit
// BENCH_HUB_TRACE=FILE records the event loop's stalls (bench/stall-trace.mjs).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createBenchHub } from './lib.mjs';
import { startStallTrace } from './stall-trace.mjs';

const first = await new Promise((resolve) => process.once('message', resolve));
// First run prints its setup code on stdout; the load generator reads IPC, not stdout.
process.stdout.write = () => true;
/** Milliseconds on a clock comparable across processes (the caller measures the offset with 'clock'). */
const now = () => performance.timeOrigin + performance.now();
/** CPU time this process used (µs, user + system): per message, a figure the machine's load moves less than a rate. */
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const common = { clock: () => ({ t: now() }), cpu: () => ({ us: cpuUs() }) };

if (first.bare === 'aedes') {
  // The baseline: bare aedes, alone in a process as the hub is, TCP_NODELAY like the hub's broker.
  const { Aedes } = await import('aedes');
  const { createServer } = await import('node:net');
  const aedes = new Aedes();
  await aedes.listen();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const ops = {
    ...common,
    async stop() {
      server.close();
      await new Promise((r) => aedes.close(r));
      return {};
    },
  };
  process.on('message', async (msg) => {
    process.send({ id: msg.id, ...(await ops[msg.op](msg)) });
    if (msg.op === 'stop') process.disconnect();
  });
  process.send({ ready: true, pid: process.pid, mqtt: server.address().port });
} else await hubHost();

async function hubHost() {
  const { hub, dataDir, cleanup } = await createBenchHub('hearth-bench-host-', first.flags ?? {});
  const members = hub.services.get('members').members;
  const by = { id: 'bench', origin: 'cli' };
  const made = {};
  for (const role of ['owner', 'adult']) {
    const spec = first[role];
    if (!spec) continue;
    made[role] = await members.create({ display_name: spec.username, role, ...spec }, by);
  }
  await hub.start();
  if (first.pairTelegram && made.owner) {
    const { code } = members.createPairingCode(made.owner.id, by);
    members.redeemPairingCode(code, first.pairTelegram);
  }
  // The histogram records whole timer intervals (≥ the 10 ms resolution): the delay is what is over it.
  const RESOLUTION_MS = 10;
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  // BENCH_HUB_TRACE=FILE: the loop's stalls, split into CPU and run-queue wait (bench/stall-trace.mjs).
  const stalls = process.env.BENCH_HUB_TRACE ? startStallTrace(process.env.BENCH_HUB_TRACE) : undefined;

  function files() {
    const out = {};
    for (const f of readdirSync(dataDir)) {
      if (!/\.(db|sqlite)(-wal|-shm)?$/.test(f)) continue;
      try {
        out[f] = statSync(join(dataDir, f)).size;
      } catch {
        /* gone between list and stat */
      }
    }
    return out;
  }

  function sample({ gc = true } = {}) {
    stalls?.mark('sample');
    const loopP99 = loop.percentile(99);
    const loopMax = loop.max;
    loop.reset();
    if (gc) globalThis.gc?.(); // heap read after a full collection: what is kept, not what is garbage yet
    const m = process.memoryUsage();
    const s = {
      rss: m.rss,
      heap_used: m.heapUsed,
      heap_total: m.heapTotal,
      external: m.external,
      loop_p99_ms: Math.round((loopP99 / 1e6 - RESOLUTION_MS) * 100) / 100,
      loop_max_ms: Math.round((loopMax / 1e6 - RESOLUTION_MS) * 100) / 100,
      handles: process.getActiveResourcesInfo().length,
      fds: readdirSync('/proc/self/fd').length,
      files: files(),
      cpu: process.cpuUsage(),
    };
    return s;
  }

  const gate = () => hub.services.get('gate');
  const watched = [];
  let unwatch;
  let floorServer;
  const ops = {
    ...common,
    sample: ({ gc }) => ({ sample: sample({ gc }) }),
    /** Timestamps when `entity`'s state changes in the registry (read with 'watched'). */
    watch({ entity }) {
      unwatch?.();
      unwatch = hub.ctx.bus.on('entity.state_changed', ({ entity: e }) => e.id === entity && watched.push([e.state, now()]));
      return {};
    },
    watched: () => ({ watched: watched.splice(0) }),
    count: ({ source }) => ({ n: hub.services.get('devices.mqtt').registry.list({ source }).length }),
    /** The hub's own share of GET /entities: list + serialise, `n` times, in milliseconds. */
    serialise({ n }) {
      const registry = hub.services.get('devices.mqtt').registry;
      const out = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        JSON.stringify({ entities: registry.list() });
        out.push(performance.now() - t0);
      }
      return { samples: out };
    },
    /** One entity's state changes, as a sensor's would: the next GET /entities has a new list to build. */
    touch({ state }) {
      const registry = hub.services.get('devices.mqtt').registry;
      const [sensor] = registry.list({ source: 'mqtt', domain: 'sensor' });
      return { changed: Boolean(registry.setState(sensor.id, state)) };
    },
    /**
     * The floor for GET /entities: a bare node:http server in this process sending bytes it
     * already has (`body`, fetched from the hub), no routing, hooks, auth or gzip.
     */
    async floor({ body }) {
      const { createServer } = await import('node:http');
      const bytes = Buffer.from(body);
      floorServer?.close();
      floorServer = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
        res.end(bytes);
      });
      await new Promise((r) => floorServer.listen(0, '127.0.0.1', r));
      return { port: floorServer.address().port };
    },
    async approval({ entity, operation }) {
      const t0 = performance.now();
      const origin = { member_id: made.adult.id, channel: 'web' };
      const out = await gate().request({ action: { entity_id: entity, operation }, origin });
      if (out.status !== 'pending') return { ms: performance.now() - t0, state: out.status };
      const done = await gate().decide(out.approval_id, { member_id: made.owner.id, decision: 'approve', channel: 'telegram' });
      return { ms: performance.now() - t0, state: done.state };
    },
    async action({ entity, operation }) {
      const out = await gate().request({ action: { entity_id: entity, operation }, origin: { member_id: made.owner.id, channel: 'web' } });
      return { state: out.status };
    },
    notify({ text }) {
      hub.services.get('notify').notify({ kind: 'brief.bench', text, audience: { members: [made.owner.id] } });
      return {};
    },
    workflow({ yaml }) {
      hub.services.get('workflows').create(yaml, { actor: 'bench', origin: 'cli' });
      return {};
    },
    async stop() {
      unwatch?.();
      floorServer?.close();
      loop.disable();
      stalls?.stop();
      await hub.stop();
      cleanup();
      return {};
    },
  };

  process.on('message', async (msg) => {
    let reply;
    try {
      reply = { id: msg.id, ...(await ops[msg.op](msg)) };
    } catch (err) {
      reply = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
    }
    process.send(reply);
    if (msg.op === 'stop') process.disconnect();
  });
  process.send({ ready: true, pid: process.pid, dataDir, http: hub.http.boundPort, mqtt: hub.services.get('mqtt.broker').port, members: made });
}
