// The devices part's figures (issue 3, issue 15), measured on a real hub with its embedded broker,
// the hub in its own process (bench/hub-host.mjs) and this process the devices and the browser:
//   1. device state message in → registry → SSE client, p50/p99 at 1,000 msg/s, next to a bare
//      aedes publish → subscribe round trip at the same rate in the same run (aedes alone in its
//      own process too, before and after the hub's run);
//   2. broker throughput with the hub's hooks (packet guard, auth, limits, discovery) next to bare aedes;
//   3. memory with 2,000 discovered entities, and GET /api/v1/entities latency at that size.
// With BENCH_ONE_CORE=1 (`npm run bench -- devices --one-core`) the hub and the bare aedes process
// are pinned to CPU 0; this process (the load) is not.
// Run after `npm run build`: node bench/devices.bench.mjs  (prints one JSON object)
import { cpus, loadavg } from 'node:os';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { clockOffset, paced, pct, r3, sorted, spawnBenchHub } from './lib.mjs';

const RATE = Number(process.env.DEVICES_BENCH_RATE ?? 1000);
const LATENCY_SECONDS = Number(process.env.DEVICES_BENCH_SECONDS ?? 3);
const THROUGHPUT_N = Number(process.env.DEVICES_BENCH_THROUGHPUT_N ?? 50_000);
const THROUGHPUT_LIMIT_MS = 15_000;
const ENTITIES = Number(process.env.DEVICES_BENCH_ENTITIES ?? 2000);
/** Requests per GET /entities figure: with 50 the p99 was the single slowest request. */
const LIST_N = Number(process.env.DEVICES_BENCH_LIST_N ?? 200);

function summary(samples, sent) {
  const s = sorted(samples);
  return { sent, received: s.length, p50_ms: r3(pct(s, 50)), p99_ms: r3(pct(s, 99)), max_ms: r3(s[s.length - 1] ?? NaN) };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (b) => Math.round((b / 1024 / 1024) * 10) / 10;
const abs = (t) => performance.timeOrigin + t;
async function connect(url, opts = {}) {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, ...opts });
  c.stream.setNoDelay?.(true);
  return c;
}

const hub = await spawnBenchHub({
  // The hooks stay on; only the limits are raised so that the bench itself is not refused.
  flags: { mqtt: { allow_anonymous: true, messages_per_second: 1_000_000, message_burst: 1_000_000, max_connections: 50 } },
  owner: { username: 'owner', password: 'bench password 123' },
});
const bare = await spawnBenchHub({ bare: 'aedes' });
const results = { rate_per_s: RATE, pinned: hub.pinned };
const clients = [];
try {
  const base = `http://127.0.0.1:${hub.http}`;
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'owner', password: 'bench password 123' }),
  });
  const cookie = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('hearth_session='))
    .split(';')[0];
  const hubUrl = `mqtt://127.0.0.1:${hub.mqtt}`;
  const bareUrl = `mqtt://127.0.0.1:${bare.mqtt}`;

  // ---- 1. device → registry → SSE, next to bare aedes ----
  const barePub = await connect(bareUrl, { clientId: 'bare-pub' });
  const bareSub = await connect(bareUrl, { clientId: 'bare-sub' });
  clients.push(barePub, bareSub);
  let bareSent = new Map();
  let bareSamples = [];
  bareSub.on('message', (_t, payload) => {
    const t0 = bareSent.get(Number(payload.toString()));
    if (t0 !== undefined) bareSamples.push(performance.now() - t0);
  });
  await bareSub.subscribeAsync('bench/latency');
  /** The bare round trip, measured before and after the hub's, so machine load shows on both. */
  async function bareRun() {
    bareSent = new Map();
    bareSamples = [];
    const n = await paced(
      RATE,
      LATENCY_SECONDS,
      (i) => {
        bareSent.set(i + 1, performance.now());
        barePub.publish('bench/latency', String(i + 1));
      },
      { timer: true },
    );
    await sleep(500);
    return summary(bareSamples, n);
  }
  results.bare_aedes_pub_to_sub_before = await bareRun();

  const device = await connect(hubUrl, { clientId: 'bench-device' });
  clients.push(device);
  await device.publishAsync(
    'homeassistant/sensor/bench/latency/config',
    JSON.stringify({ name: 'Bench latency', stat_t: 'bench/latency', uniq_id: 'bench_latency' }),
    { retain: true },
  );
  while ((await hub.call('count', { source: 'mqtt' })).n < 1) await sleep(10);

  const sentAt = new Map();
  const hubSamples = [];
  await hub.call('watch', { entity: 'sensor.bench_latency' });
  const sse = await new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/events`, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      res.socket.setNoDelay(true);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!block.includes('event: entity.state_changed')) continue;
          const m = /"id":"sensor\.bench_latency".*?"state":"(\d+)"/.exec(block);
          if (!m) continue;
          const t0 = sentAt.get(Number(m[1]));
          if (t0 !== undefined) hubSamples.push(performance.now() - t0);
        }
      });
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
  await sleep(100);
  // Resets the hub's event-loop delay histogram, without the full collection a heap reading
  // forces: that left the first ~50 ms of the latency phase to V8's sweeping (issue 15).
  await hub.call('sample', { gc: false });
  const hubSent = await paced(
    RATE,
    LATENCY_SECONDS,
    (i) => {
      sentAt.set(i + 1, performance.now());
      device.publish('bench/latency', String(i + 1));
    },
    { timer: true },
  );
  await sleep(500);
  const loop = (await hub.call('sample')).sample;
  results.hub_loop_delay = { p99_ms: loop.loop_p99_ms, max_ms: loop.loop_max_ms };
  sse.destroy();
  // The registry's timestamps are the hub's clock: brought onto ours with the measured offset.
  const clock = await clockOffset(hub);
  const registrySamples = [];
  for (const [state, t] of (await hub.call('watched')).watched) {
    const t0 = sentAt.get(Number(state));
    if (t0 !== undefined) registrySamples.push(t - clock.offset - abs(t0));
  }
  results.clock_offset = { offset_ms: r3(clock.offset), rtt_ms: r3(clock.rtt) };
  results.hub_device_to_registry = summary(registrySamples, hubSent);
  results.hub_device_to_sse = summary(hubSamples, hubSent);
  results.bare_aedes_pub_to_sub_after = await bareRun();
  results.load_average_1m = Math.round(loadavg()[0] * 10) / 10;

  // ---- 2. throughput: one publisher → one subscriber, QoS 0, as fast as it goes ----
  async function throughput(url, prefix, host) {
    const pub = await connect(url, { clientId: `${prefix}-tp-pub` });
    const sub = await connect(url, { clientId: `${prefix}-tp-sub` });
    clients.push(pub, sub);
    let got = 0;
    let done;
    const all = new Promise((r) => (done = r));
    sub.on('message', () => {
      if (++got === THROUGHPUT_N) done();
    });
    await sub.subscribeAsync('tp/#');
    const payload = Buffer.from(JSON.stringify({ temperature: 21.5, humidity: 40, battery: 90 }));
    const cpu0 = (await host.call('cpu')).us;
    const t0 = performance.now();
    for (let i = 0; i < THROUGHPUT_N; i++) {
      if (!pub.publish(`tp/sensor${i % 50}`, payload)) await new Promise((r) => setImmediate(r));
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await Promise.race([all, sleep(THROUGHPUT_LIMIT_MS)]);
    const ms = performance.now() - t0;
    const cpu = (await host.call('cpu')).us - cpu0;
    pub.end(true);
    sub.end(true);
    return { messages: THROUGHPUT_N, received: got, seconds: r3(ms / 1000), msg_per_s: Math.round(got / (ms / 1000)), cpu_us_per_msg: r3(cpu / got) };
  }
  results.throughput_hub_broker = await throughput(hubUrl, 'hub', hub);
  results.throughput_bare_aedes = await throughput(bareUrl, 'bare', bare);

  // ---- 3. memory with 2,000 discovered entities; GET /api/v1/entities at that size ----
  const before = (await hub.call('sample')).sample;
  const fleet = await connect(hubUrl, { clientId: 'bench-fleet' });
  clients.push(fleet);
  const kinds = ['sensor', 'binary_sensor', 'switch', 'light'];
  for (let i = 0; i < ENTITIES; i++) {
    const kind = kinds[i % kinds.length];
    const cfg = {
      name: `Device ${i}`,
      uniq_id: `bench_${i}`,
      stat_t: `fleet/${i}/state`,
      avty_t: `fleet/${i}/availability`,
      dev: { ids: [`bench_dev_${Math.floor(i / 4)}`], name: `Bench device ${Math.floor(i / 4)}`, mf: 'Bench', mdl: 'B1' },
      ...(kind === 'sensor' ? { val_tpl: '{{ value_json.temperature }}', unit_of_meas: '°C', dev_cla: 'temperature' } : {}),
      ...(kind === 'binary_sensor' ? { val_tpl: '{{ value_json.occupancy }}', pl_on: true, pl_off: false } : {}),
      ...(kind === 'switch' || kind === 'light' ? { cmd_t: `fleet/${i}/set` } : {}),
    };
    fleet.publish(`homeassistant/${kind}/bench/e${i}/config`, JSON.stringify(cfg), { retain: true });
    fleet.publish(`fleet/${i}/availability`, 'online', { retain: true });
    const state =
      kind === 'sensor' ? JSON.stringify({ temperature: 20 + (i % 10) }) : kind === 'binary_sensor' ? JSON.stringify({ occupancy: i % 2 === 0 }) : 'ON';
    fleet.publish(`fleet/${i}/state`, state, { retain: true });
    if (i % 200 === 199) await sleep(5);
  }
  const t0 = performance.now();
  let count = 0;
  while ((count = (await hub.call('count', { source: 'mqtt' })).n) < ENTITIES + 1 && performance.now() - t0 < 30_000) await sleep(50);
  await sleep(300);
  const after = (await hub.call('sample')).sample;
  results.entities = {
    discovered: count,
    heap_used_delta_mb: mb(after.heap_used - before.heap_used),
    rss_delta_mb: mb(after.rss - before.rss),
    rss_total_mb: mb(after.rss),
  };
  // GET /api/v1/entities as the browser asks (fetch sends Accept-Encoding: gzip, deflate), as a
  // client without gzip asks, the first time after one entity changed, and again with its ETag.
  const list = async (headers = {}) => {
    const s = performance.now();
    const res = await fetch(`${base}/api/v1/entities`, { headers: { cookie, ...headers } });
    const text = await res.text();
    return { ms: performance.now() - s, res, text };
  };
  const listRuns = async (headers, before) => {
    const samples = [];
    let last;
    for (let i = 0; i < LIST_N; i++) {
      if (before) await before(i);
      last = await list(headers);
      samples.push(last.ms);
    }
    return { samples, last };
  };
  await listRuns({}); // warm-up
  const asked = await listRuns({});
  const plain = await listRuns({ 'accept-encoding': 'identity' });
  const etags = new Set([asked.last.res.headers.get('etag')]);
  const wire = await fetch(`${base}/api/v1/entities`, { headers: { cookie } }).then((r) => r.headers.get('content-encoding'));
  const zippedBytes = await new Promise((resolve) => {
    const req = request(`${base}/api/v1/entities`, { headers: { cookie, 'accept-encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => resolve(n));
    });
    req.end();
  });
  const changed = await listRuns({}, async (i) => {
    await hub.call('touch', { state: String(100 + i) });
  });
  for (const r of [asked, plain]) etags.add(r.last.res.headers.get('etag'));
  const tag = (await list()).res.headers.get('etag') ?? ''; // the tag of the list as it is now, after the changes above
  const statuses = {};
  const revalidate = [];
  for (let i = 0; i < LIST_N; i++) {
    const r = await list({ 'if-none-match': tag });
    revalidate.push(r.ms);
    statuses[r.res.status] = (statuses[r.res.status] ?? 0) + 1;
  }
  // The floor: the same bytes from a bare node:http server in the hub's process.
  const { port: floorPort } = await hub.call('floor', { body: plain.last.text });
  const floor = [];
  for (let i = 0; i < LIST_N + 20; i++) {
    const s = performance.now();
    await (await fetch(`http://127.0.0.1:${floorPort}/`)).text();
    if (i >= 20) floor.push(performance.now() - s);
  }
  // The hub's own share of a request before issue 15's cache: list + serialize, without HTTP.
  const inProcess = (await hub.call('serialise', { n: 50 })).samples;
  results.get_entities = {
    ...summary(asked.samples, LIST_N),
    entities: count,
    response_kb: Math.round(Buffer.byteLength(asked.last.text) / 1024),
    wire_kb: Math.round(zippedBytes / 1024),
    content_encoding: wire,
    etags_while_unchanged: etags.size,
    list_and_serialize: summary(inProcess, 50),
  };
  results.get_entities_plain = summary(plain.samples, LIST_N);
  results.get_entities_after_change = summary(changed.samples, LIST_N);
  results.revalidate_entities = { ...summary(revalidate, LIST_N), statuses };
  results.floor_same_bytes = summary(floor, LIST_N);
} finally {
  for (const c of clients) c.end(true);
  await bare.stop();
  await hub.stop();
}
// The harness's contract shape (bench/run.mjs), with the raw figures kept under `details`.
const R = results;
const bareLatency = R.bare_aedes_pub_to_sub_after;
const load = `load average ${R.load_average_1m} on ${cpus().length} cores${R.pinned ? '; hub and bare aedes pinned to CPU 0' : ''}`;
const out = {
  name: 'devices',
  results: [
    {
      metric: `device state message → registry, p50 at ${RATE} msg/s`,
      value: R.hub_device_to_registry.p50_ms,
      unit: 'ms',
      baseline: { label: 'bare aedes pub → sub p50', value: bareLatency.p50_ms },
      note: load,
    },
    {
      metric: `device state message → registry, p99 at ${RATE} msg/s`,
      value: R.hub_device_to_registry.p99_ms,
      unit: 'ms',
      baseline: { label: 'bare aedes pub → sub p99', value: bareLatency.p99_ms },
      target: { op: '<=', value: 2, of: 'baseline ratio' },
    },
    {
      metric: `device state message → SSE client, p50 at ${RATE} msg/s`,
      value: R.hub_device_to_sse.p50_ms,
      unit: 'ms',
      baseline: { label: 'bare aedes pub → sub p50', value: bareLatency.p50_ms },
    },
    {
      metric: `device state message → SSE client, p99 at ${RATE} msg/s`,
      value: R.hub_device_to_sse.p99_ms,
      unit: 'ms',
      baseline: { label: 'bare aedes pub → sub p99', value: bareLatency.p99_ms },
      target: { op: '<=', value: 2, of: 'baseline ratio' },
      note: `${R.hub_device_to_sse.received}/${R.hub_device_to_sse.sent} received`,
    },
    {
      metric: `the hub's event-loop delay during that run, p99 (max ${R.hub_loop_delay.max_ms} ms)`,
      value: R.hub_loop_delay.p99_ms,
      unit: 'ms',
      note: 'monitorEventLoopDelay, 10 ms resolution taken off',
    },
    {
      metric: "broker throughput, one publisher → one subscriber, QoS 0, with the hub's hooks",
      value: R.throughput_hub_broker.msg_per_s,
      unit: 'msg/s',
      baseline: { label: 'bare aedes', value: R.throughput_bare_aedes.msg_per_s },
      target: { op: '>=', value: 0.9, of: 'baseline ratio' },
    },
    {
      metric: "broker CPU time per message in that run, with the hub's hooks (the broker's process, whatever the machine's load)",
      value: R.throughput_hub_broker.cpu_us_per_msg,
      unit: 'µs/msg',
      baseline: { label: 'bare aedes', value: R.throughput_bare_aedes.cpu_us_per_msg },
    },
    {
      metric: `heap growth with ${R.entities.discovered - 1} discovered entities`,
      value: R.entities.heap_used_delta_mb,
      unit: 'MB',
      note: `RSS ${R.entities.rss_total_mb} MB in all (the hub's process)`,
    },
    {
      metric: `GET /api/v1/entities p50 at ${R.get_entities.entities} entities, as fetch asks (Accept-Encoding: gzip, deflate)`,
      value: R.get_entities.p50_ms,
      unit: 'ms',
      baseline: { label: 'bare node:http in the hub process sending the same JSON, p50', value: R.floor_same_bytes.p50_ms },
      note: `${R.get_entities.response_kb} KiB of JSON, ${R.get_entities.wire_kb} KiB on the wire (${R.get_entities.content_encoding ?? 'plain'}); ${LIST_N} requests; before the cache, list + serialize alone p50 ${R.get_entities.list_and_serialize.p50_ms} ms`,
    },
    {
      metric: `GET /api/v1/entities p99 at ${R.get_entities.entities} entities`,
      value: R.get_entities.p99_ms,
      unit: 'ms',
      baseline: { label: 'bare node:http, same JSON, p99', value: R.floor_same_bytes.p99_ms },
      target: { op: '<', value: 20 },
    },
    {
      metric: 'GET /api/v1/entities without gzip (Accept-Encoding: identity), p50',
      value: R.get_entities_plain.p50_ms,
      unit: 'ms',
      baseline: { label: 'bare node:http, same JSON, p50', value: R.floor_same_bytes.p50_ms },
    },
    {
      metric: 'GET /api/v1/entities without gzip, p99',
      value: R.get_entities_plain.p99_ms,
      unit: 'ms',
      baseline: { label: 'bare node:http, same JSON, p99', value: R.floor_same_bytes.p99_ms },
    },
    {
      metric: 'GET /api/v1/entities right after one entity changed, p50',
      value: R.get_entities_after_change.p50_ms,
      unit: 'ms',
      note: 'the list is built again (and gzipped) for the new revision',
    },
    { metric: 'GET /api/v1/entities right after one entity changed, p99', value: R.get_entities_after_change.p99_ms, unit: 'ms' },
    {
      metric: 'GET /api/v1/entities again with its ETag (If-None-Match), p50',
      value: R.revalidate_entities.p50_ms,
      unit: 'ms',
      note: `statuses ${Object.entries(R.revalidate_entities.statuses)
        .map(([k, v]) => `${k}×${v}`)
        .join(', ')}; what a browser sends for a page that lists entities, while nothing changed`,
    },
    { metric: 'GET /api/v1/entities again with its ETag, p99', value: R.revalidate_entities.p99_ms, unit: 'ms' },
  ],
  details: R,
};
console.log(JSON.stringify(out, null, 2));
