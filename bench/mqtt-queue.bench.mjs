// Offline-session queues (issue 10, finding 2): the scenario, four clean=false sessions
// and 400 × 250 KiB QoS 1 messages, then the hub's RSS after a restart on the same data
// directory, measured in a fresh process (the baseline: the same hub restarted with no queue).
// Run twice: with the default mqtt.max_queued_bytes (64 MiB) and with a 1 GiB bound that keeps
// most of the queue (RSS then shows that the queue is not read into memory at start).
import { spawnSync } from 'node:child_process';
import mqtt from 'mqtt';
import Database from 'better-sqlite3';
import { createBenchHub, round } from './lib.mjs';

const SESSIONS = 4;
const MESSAGES = Number(process.env.QUEUE_BENCH_MESSAGES ?? 400);
const PAYLOAD = Buffer.alloc(250 * 1024, 0x61);

/** RSS (MB) of a fresh process that starts a hub on `dataDir`, lets it settle, and stops it. */
function rssAfterRestart(dataDir, maxQueuedBytes) {
  const script = `
    import { Writable } from 'node:stream';
    const { Hub } = await import('./dist/hub/hub.js');
    const hub = await Hub.create({ env: {}, cwd: ${JSON.stringify(dataDir)}, logDestination: new Writable({ write: (_c, _e, d) => d() }),
      flags: { hub: { data_dir: ${JSON.stringify(dataDir)}, demo: false, log_level: 'warn' }, http: { host: '127.0.0.1', port: 0 },
        mqtt: { host: '127.0.0.1', port: 0, allow_anonymous: true, max_queued_bytes: ${maxQueuedBytes} } } });
    await hub.start();
    await new Promise((r) => setTimeout(r, 500));
    const rss = process.memoryUsage().rss;
    await hub.stop();
    console.log(JSON.stringify({ rss }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return round(JSON.parse(r.stdout.trim().split('\n').pop()).rss / 1024 / 1024, 1);
}

async function fill(maxQueuedBytes) {
  const { hub, dataDir, cleanup } = await createBenchHub('hearth-bench-queue-', {
    mqtt: { allow_anonymous: true, max_queued_bytes: maxQueuedBytes, messages_per_second: 1_000_000, message_burst: 1_000_000 },
  });
  await hub.start();
  const url = `mqtt://127.0.0.1:${hub.services.get('mqtt.broker').port}`;
  for (let i = 0; i < SESSIONS; i++) {
    const c = await mqtt.connectAsync(url, { clientId: `sleepy-${i}`, clean: false, reconnectPeriod: 0 });
    await c.subscribeAsync('bench/#', { qos: 1 });
    await c.endAsync();
  }
  const sender = await mqtt.connectAsync(url, { clientId: 'sender', reconnectPeriod: 0 });
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) await sender.publishAsync(`bench/${i}`, PAYLOAD, { qos: 1 });
  const fillSeconds = (performance.now() - t0) / 1000;
  await sender.endAsync();
  const metrics = await (await fetch(`http://127.0.0.1:${hub.http.boundPort}/metrics`)).text();
  const dropped = Number(/hearth_mqtt_queued_messages_dropped_total\{reason="total_bytes"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  await hub.stop();
  const db = new Database(`${dataDir}/hearth.db`, { readonly: true });
  const q = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM mqtt_outgoing').get();
  db.close();
  return { dataDir, cleanup, queued: q.n, queuedMb: round(q.b / 1024 / 1024, 1), dropped, fillSeconds: round(fillSeconds, 1) };
}

const results = [];
const details = {};
const emptyHub = await createBenchHub('hearth-bench-queue-empty-');
await emptyHub.hub.start();
await emptyHub.hub.stop();
const baseline = rssAfterRestart(emptyHub.dataDir, 64 * 1024 * 1024);
emptyHub.cleanup();

for (const [label, bound] of [
  ['default 64 MiB bound', 64 * 1024 * 1024],
  ['1 GiB bound', 1024 * 1024 * 1024],
]) {
  const f = await fill(bound);
  const rss = rssAfterRestart(f.dataDir, bound);
  f.cleanup();
  details[label] = { ...f, dataDir: undefined, cleanup: undefined, rss_mb: rss };
  results.push({
    metric: `RSS after restart, ${SESSIONS} sessions × ${MESSAGES} × 250 KiB queued, ${label}`,
    value: rss,
    unit: 'MB',
    baseline: { label: 'same hub restarted with no queue', value: baseline },
    note: `${f.queued} messages (${f.queuedMb} MiB) kept, ${f.dropped} dropped oldest-first; before the fix: 1.04 GB RSS, 548 MB database (issue 10)`,
  });
}
console.log(JSON.stringify({ name: 'mqtt-queue', results, details }, null, 2));
