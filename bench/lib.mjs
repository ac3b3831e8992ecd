// Helpers shared by the bench/*.bench.mjs scripts: percentiles, rounding, timing summaries and
// a quiet hub in a temporary data directory. Not a bench itself (bench/run.mjs runs *.bench.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';

/** The p-th percentile (0–100) of an already sorted array (nearest rank, no interpolation). */
export const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
/** Rounds to `d` decimals (3 by default). */
export const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
export const r3 = (x) => round(x, 3);
/** A sorted copy of the samples (ascending). */
export const sorted = (samples) => [...samples].sort((a, b) => a - b);

/** `{ n, p50_ms, p99_ms, mean_ms }` of timings in milliseconds. */
export function timings(samples) {
  const s = sorted(samples);
  return { n: s.length, p50_ms: r3(pct(s, 50)), p99_ms: r3(pct(s, 99)), mean_ms: r3(s.reduce((a, b) => a + b, 0) / s.length) };
}

/**
 * A hub (not started) on a fresh temporary data directory, logging nowhere, HTTP and the LAN
 * broker on loopback with ephemeral ports; `flags` are merged per section over those.
 * `cleanup()` removes the data directory (stop the hub first).
 */
export async function createBenchHub(prefix, flags = {}) {
  const { Hub } = await import('../dist/hub/hub.js');
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const hub = await Hub.create({
    env: {},
    cwd: dataDir,
    logDestination: quiet,
    flags: {
      ...flags,
      hub: { data_dir: dataDir, demo: false, log_level: 'warn', log_format: 'json', ...flags.hub },
      http: { host: '127.0.0.1', port: 0, ...flags.http },
      mqtt: { host: '127.0.0.1', port: 0, ...flags.mqtt },
    },
  });
  return { hub, dataDir, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * Calls `send(i)` `rate × seconds` times, paced at `rate` per second (small bursts, never a backlog); resolves with the count.
 * `timer: true` waits on a 1-ms timer between bursts instead of spinning on setImmediate, so that a
 * load generator in its own process leaves the CPU to the hub it drives (the bursts can be larger).
 */
export async function paced(rate, seconds, send, { timer = false } = {}) {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (sent < due) send(sent++);
    await new Promise((r) => (timer ? setTimeout(r, 1) : setImmediate(r)));
  }
  return total;
}

/**
 * Offset of a child's clock (its 'clock' op: performance.timeOrigin + now()) from ours, in ms, from
 * the ping with the shortest round trip (within half of it: a few tens of microseconds on loopback).
 */
export async function clockOffset(host, pings = 200) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < pings; i++) {
    const t0 = performance.timeOrigin + performance.now();
    const { t } = await host.call('clock');
    const t1 = performance.timeOrigin + performance.now();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: t - (t0 + t1) / 2 };
  }
  return best;
}

/**
 * A bench hub in a child process (bench/hub-host.mjs), pinned to CPU 0 with `taskset -c 0` when
 * `pinned` (or when the harness runs with `--one-core`: BENCH_ONE_CORE=1), while the caller (the
 * load generator) stays unpinned. `setup` is the host's first message (flags, members to create).
 * Resolves with the host's ready message plus `call(op, args)` (IPC request → reply) and `stop()`.
 */
export async function spawnBenchHub(setup, { pinned = process.env.BENCH_ONE_CORE === '1', nodeArgs = [] } = {}) {
  const { spawn } = await import('node:child_process');
  const host = fileURLToPath(new URL('./hub-host.mjs', import.meta.url));
  // BENCH_HUB_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the hub alone.
  const extra = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const node = [...nodeArgs, ...extra, '--max-semi-space-size=2', '--v8-pool-size=1', '--expose-gc', host];
  const child = pinned
    ? spawn('taskset', ['-c', '0', process.execPath, ...node], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    : spawn(process.execPath, node, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map();
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench hub exited (${code}) before it was ready`)));
    child.on('message', (msg) => {
      if (msg.ready) return resolve(msg);
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) w?.reject(new Error(msg.error));
      else w?.resolve(msg);
    });
  });
  child.send(setup);
  const info = await ready;
  const call = (op, args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      child.send({ id, op, ...args });
    });
  const stop = async () => {
    const exited = new Promise((r) => child.once('exit', r));
    await call('stop').catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  return { ...info, child, pinned, call, stop };
}

/**
 * Just enough of the Telegram Bot API on loopback for grammY: getMe, deleteWebhook, an idle
 * getUpdates, sendMessage (`onMessage(text, params)` for each). Resolves with the http.Server.
 */
export async function fakeBotApi(onMessage) {
  const { createServer } = await import('node:http');
  let nextId = 1;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const method = (req.url ?? '').split('/').pop();
      const p = body ? JSON.parse(body) : {};
      const ok = (result) => {
        const text = JSON.stringify({ ok: true, result });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (method === 'getMe') return ok({ id: 1, is_bot: true, first_name: 'Bench', username: 'bench_bot' });
      if (method === 'deleteWebhook') return ok(true);
      if (method === 'getUpdates') {
        const t = setTimeout(() => ok([]), Math.min(Number(p.timeout ?? 0), 1) * 1000);
        res.on('close', () => clearTimeout(t));
        return;
      }
      if (method === 'sendMessage') {
        onMessage(p.text, p);
        return ok({ message_id: nextId++, chat: { id: Number(p.chat_id), type: 'private' }, date: Math.floor(Date.now() / 1000), text: p.text });
      }
      return ok(true);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
