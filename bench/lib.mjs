// Helpers shared by the bench/*.bench.mjs scripts: percentiles, rounding, timing summaries and
// a quiet hub in a temporary data directory. Not a bench itself (bench/run.mjs runs *.bench.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Calls `send(i)` `rate × seconds` times, paced at `rate` per second (small bursts, never a backlog); resolves with the count. */
export async function paced(rate, seconds, send) {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (sent < due) send(sent++);
    await new Promise((r) => setImmediate(r));
  }
  return total;
}
