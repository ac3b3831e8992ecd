#!/usr/bin/env node
/**
 * The bench harness (`npm run bench`, or `node bench/run.mjs [name ...]` for some of them).
 *
 * Contract: every `bench/*.bench.mjs` is a standalone script, run here one at a time as a child
 * process (`node bench/<name>.bench.mjs`, after `npm run build`), bounded to a few seconds per
 * figure. It prints ONE JSON object to stdout, last, and anything else to stderr:
 *
 *   { "name": "hub",
 *     "results": [ { "metric": "start-up to ready (median of 5)", "value": 412, "unit": "ms",
 *                    "baseline": { "label": "bare fastify listen", "value": 180 },   // optional
 *                    "note": "fresh data directory" } ] }                          // optional
 *
 * The harness collects them, prints a table and writes bench/results/latest.json (gitignored)
 * with the machine it ran on. A bench that exits non-zero or prints no JSON is reported as
 * failed and the others still run. Output in another shape is flattened to numbers, so it
 * still shows, marked "(not in the contract shape)".
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const filters = process.argv.slice(2);

function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(DIR, file)], { cwd: join(DIR, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_S * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, seconds: Math.round((Date.now() - started) / 100) / 10 });
    });
  });
}

/** The last JSON object printed: the whole output, or from the last line that opens one. */
function lastJson(text) {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    /* fall through */
  }
  const lines = trimmed.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith('{')) continue;
    try {
      return JSON.parse(lines.slice(i).join('\n'));
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

function flatten(value, prefix, out) {
  if (typeof value === 'number') out.push({ metric: prefix, value, unit: '' });
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

function normalise(name, doc) {
  if (doc && Array.isArray(doc.results) && doc.results.every((r) => r && typeof r.metric === 'string')) return { name: doc.name ?? name, results: doc.results };
  return { name, results: flatten(doc, '', []), note: 'not in the contract shape' };
}

const fmt = (v) => (typeof v !== 'number' ? String(v) : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : String(Math.round(v * 100) / 100));

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.startsWith(x)))
  .sort();
const report = {
  at: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memory_mb: Math.round(totalmem() / 1048576),
    node: process.version,
    kernel: release(),
    load_before: loadavg().map((x) => Math.round(x * 100) / 100),
  },
  benches: [],
};
for (const file of files) {
  const name = file.replace(/\.bench\.mjs$/, '');
  process.stderr.write(`\n── ${name} ──\n`);
  const run = await runOne(file);
  const doc = lastJson(run.out);
  if (run.code !== 0 || doc === undefined) {
    report.benches.push({
      name,
      failed: run.signal ? `killed (${run.signal}) after ${run.seconds} s` : `exit ${run.code}${doc === undefined ? ', no JSON' : ''}`,
      seconds: run.seconds,
    });
    continue;
  }
  report.benches.push({ ...normalise(name, doc), seconds: run.seconds });
}

const rows = [['bench', 'metric', 'value', 'unit', 'baseline', 'note']];
for (const b of report.benches) {
  if (b.failed) {
    rows.push([b.name, 'FAILED', b.failed, '', '', '']);
    continue;
  }
  for (const r of b.results) {
    const base = r.baseline ? `${fmt(r.baseline.value)} (${r.baseline.label})` : '';
    rows.push([b.name, r.metric, fmt(r.value), r.unit ?? '', base, [r.note, b.note].filter(Boolean).join('; ')]);
  }
}
const widths = rows[0].map((_, i) => Math.min(60, Math.max(...rows.map((r) => String(r[i]).length))));
const line = (r) =>
  r
    .map((c, i) => String(c).slice(0, 60).padEnd(widths[i]))
    .join('  ')
    .trimEnd();
process.stdout.write(`\n${line(rows[0])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n`);
mkdirSync(join(DIR, 'results'), { recursive: true });
writeFileSync(join(DIR, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(
  `\nmachine: ${report.machine.cpus} × ${report.machine.cpu}, ${report.machine.memory_mb} MB, node ${report.machine.node}; written to bench/results/latest.json\n`,
);
process.exitCode = report.benches.some((b) => b.failed) ? 1 : 0;
