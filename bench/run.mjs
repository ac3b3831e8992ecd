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
 * A result may carry a target, checked here and marked in the doc when missed:
 *   "target": { "op": "<=", "value": 2, "of": "baseline ratio" }   // value / baseline.value ≤ 2
 *   "target": { "op": "<", "value": 20 }                            // the value itself
 *
 * The harness collects them, prints a table, writes bench/results/latest.json and one
 * bench/results/<name>.json per bench (gitignored) with the machine it ran on, and rewrites the
 * bench's generated block in docs/performance.md (bench/doc.mjs; prose outside the markers stays).
 * A bench that exits non-zero is reported as failed (its JSON, if any, still shown) and the others
 * still run. Output in another shape is flattened to numbers, marked "(not in the contract shape)".
 *
 *   node bench/run.mjs [name ...] [--one-core] [--minutes N] [--no-doc] [--render]
 *   --one-core  runs the chosen benches a second time with the hub pinned to CPU 0 (taskset -c 0):
 *               a bench that reads BENCH_ONE_CORE pins only its hub process (bench/hub-host.mjs),
 *               any other runs pinned whole (its load generator shares the core, and says so).
 *   --minutes N passed to the benches (the soak's length); the soak runs only when named.
 *   --render    rewrites the doc from the saved bench/results/<name>.json files, runs nothing.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, loadavg, release, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const FLAGS = new Set(['one-core', 'no-doc', 'render']);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  if (FLAGS.has(name)) return args.splice(i, 1) && true;
  const next = args[i + 1];
  args.splice(i, next !== undefined && !next.startsWith('--') ? 2 : 1);
  return next !== undefined && !next.startsWith('--') ? next : true;
};
const oneCore = option('one-core') === true;
const minutes = option('minutes');
const noDoc = option('no-doc') === true;
const renderOnly = option('render') === true;
const filters = args.filter((a) => !a.startsWith('--'));
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300) + (minutes ? Number(minutes) * 60 : 0);
/** Benches too long for a plain `npm run bench`: run only when named. */
const ON_REQUEST = ['soak'];

function runOne(file, { pinned = false } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const hubOnly = pinned && /spawnBenchHub|BENCH_ONE_CORE/.test(readFileSync(join(DIR, file), 'utf8'));
    const argv = [join(DIR, file), ...(minutes ? ['--minutes', String(minutes)] : [])];
    const env = { ...process.env, ...(pinned ? { BENCH_ONE_CORE: '1' } : {}) };
    const [cmd, cmdArgs] = pinned && !hubOnly ? ['taskset', ['-c', '0', process.execPath, ...argv]] : [process.execPath, argv];
    const child = spawn(cmd, cmdArgs, { cwd: join(DIR, '..'), stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_S * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, seconds: Math.round((Date.now() - started) / 100) / 10, pinned: pinned ? (hubOnly ? 'hub' : 'whole bench') : undefined });
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
  .filter((f) => (filters.length === 0 ? !ON_REQUEST.some((x) => f.startsWith(x)) : filters.some((x) => f.startsWith(x))))
  .sort();
const machine = () => ({
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memory_mb: Math.round(totalmem() / 1048576),
  node: process.version,
  os: `${type()} ${release()}`,
  load: loadavg().map((x) => Math.round(x * 100) / 100),
});
const RESULTS = join(DIR, 'results');
mkdirSync(RESULTS, { recursive: true });
const { renderDoc, check } = await import('./doc.mjs');
if (renderOnly) {
  const saved = readdirSync(RESULTS)
    .filter((f) => f.endsWith('.json') && f !== 'latest.json' && !f.endsWith('-minutes.json'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.startsWith(x)))
    .map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')));
  renderDoc(join(DIR, '..', 'docs', 'performance.md'), saved);
  process.stdout.write(`docs/performance.md: ${saved.map((b) => b.name).join(', ')} rewritten from bench/results\n`);
  process.exit(0);
}
const report = { at: new Date().toISOString(), machine: machine(), one_core: oneCore, benches: [] };

function collect(name, run) {
  const doc = lastJson(run.out);
  const entry = doc === undefined ? { name, results: [] } : normalise(name, doc);
  if (run.code !== 0 || doc === undefined)
    entry.failed = run.signal ? `killed (${run.signal}) after ${run.seconds} s` : `exit ${run.code}${doc === undefined ? ', no JSON' : ''}`;
  return { ...entry, seconds: run.seconds, ...(run.pinned ? { pinned: run.pinned } : {}), ...(doc?.soak ? { soak: doc.soak } : {}) };
}

for (const file of files) {
  const name = file.replace(/\.bench\.mjs$/, '');
  process.stderr.write(`\n── ${name} ──\n`);
  const before = machine();
  const entry = collect(name, await runOne(file));
  if (oneCore) {
    process.stderr.write(`\n── ${name}, hub pinned to one core (taskset -c 0) ──\n`);
    entry.one_core = collect(name, await runOne(file, { pinned: true }));
  }
  const full = { ...entry, at: new Date().toISOString(), machine: { ...before, load_after: machine().load } };
  report.benches.push(full);
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(full, null, 2)}\n`);
}

const rows = [['bench', 'metric', 'value', 'unit', 'baseline', 'target', 'note']];
for (const top of report.benches) {
  for (const b of [top, top.one_core].filter(Boolean)) {
    const label = b === top ? b.name : `${b.name} (1 core)`;
    if (b.failed) rows.push([label, 'FAILED', b.failed, '', '', '', '']);
    for (const r of b.results) {
      const base = r.baseline ? `${fmt(r.baseline.value)} (${r.baseline.label})` : '';
      const verdict = check(r);
      rows.push([
        label,
        r.metric,
        fmt(r.value),
        r.unit ?? '',
        base,
        verdict ? `${verdict.met ? 'met' : 'MISSED'} (${verdict.text})` : '',
        [r.note, b.note].filter(Boolean).join('; '),
      ]);
    }
  }
}
const widths = rows[0].map((_, i) => Math.min(60, Math.max(...rows.map((r) => String(r[i]).length))));
const line = (r) =>
  r
    .map((c, i) => String(c).slice(0, 60).padEnd(widths[i]))
    .join('  ')
    .trimEnd();
process.stdout.write(`\n${line(rows[0])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n`);
writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
if (!noDoc) renderDoc(join(DIR, '..', 'docs', 'performance.md'), report.benches);
process.stdout.write(
  `\nmachine: ${report.machine.cpus} × ${report.machine.cpu}, ${report.machine.memory_mb} MB, node ${report.machine.node}; written to bench/results/latest.json\n`,
);
process.exitCode = report.benches.some((b) => b.failed || b.one_core?.failed) ? 1 : 0;
