// The rule-based intent parser: latency (p50/p99) and accuracy per kind on the phrasing corpus
// (src/intents/phrasings.ts, the same lines the tests check), against the demo home's entities.
// Run after `npm run build`: node bench/intents.bench.mjs  (prints one JSON object)
import { performance } from 'node:perf_hooks';
import { parseIntent } from '../dist/intents/index.js';
import { PHRASINGS, HELDOUT, DEMO_ENTITIES } from '../dist/intents/phrasings.js';
import { pct, r3 } from './lib.mjs';

const ROUNDS = Number(process.env.INTENTS_BENCH_ROUNDS ?? 200);

const sameSet = (a, b) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

function correct(got, want) {
  if (got.kind !== want.kind) return false;
  if (want.kind === 'command')
    return (
      sameSet(got.entity_ids, want.entity_ids) &&
      got.operation === want.operation &&
      (!want.params || JSON.stringify(got.params) === JSON.stringify(want.params))
    );
  if (want.kind === 'question')
    return sameSet(got.entity_ids ?? [], want.entity_ids) && (!want.about || got.about === want.about) && (!want.expect || got.expect === want.expect);
  if (want.kind === 'clarify' && want.candidates)
    return sameSet(
      got.candidates.map((c) => c.entity_id),
      want.candidates,
    );
  return true;
}

// Accuracy, once per phrasing.
const byKind = {};
for (const p of PHRASINGS) {
  const k = p.expect.kind;
  byKind[k] ??= { n: 0, ok: 0 };
  byKind[k].n++;
  if (correct(parseIntent(p.text, DEMO_ENTITIES), p.expect)) byKind[k].ok++;
}

// Latency: every phrasing, many rounds; a fresh entity array each round, as registry.list() gives,
// so the per-call index build is included (the cache only helps callers that reuse a snapshot).
for (let i = 0; i < 50; i++) for (const p of PHRASINGS) parseIntent(p.text, [...DEMO_ENTITIES]); // warm-up
const samples = [];
for (let round = 0; round < ROUNDS; round++) {
  const entities = [...DEMO_ENTITIES];
  for (const p of PHRASINGS) {
    const t0 = performance.now();
    parseIntent(p.text, entities);
    samples.push(performance.now() - t0);
  }
}
samples.sort((a, b) => a - b);
const total = PHRASINGS.length;
const heldByKind = {};
const misses = [];
for (const p of HELDOUT) {
  const k = p.expect.kind;
  heldByKind[k] ??= { n: 0, ok: 0 };
  heldByKind[k].n++;
  const got = parseIntent(p.text, DEMO_ENTITIES);
  if (correct(got, p.expect)) heldByKind[k].ok++;
  else misses.push(`${p.text} → ${got.kind}`);
}
const heldOk = Object.values(heldByKind).reduce((a, b) => a + b.ok, 0);
const ok = Object.values(byKind).reduce((a, b) => a + b.ok, 0);

const results = [
  {
    metric: 'intent_parse_p50',
    value: r3(pct(samples, 50)),
    unit: 'ms',
    note: `${samples.length} parses of ${total} phrasings, ${DEMO_ENTITIES.length} entities`,
  },
  { metric: 'intent_parse_p99', value: r3(pct(samples, 99)), unit: 'ms' },
  { metric: 'intent_accuracy', value: r3(ok / total), unit: 'ratio', note: `${ok}/${total} phrasings` },
  ...Object.entries(byKind).map(([kind, v]) => ({ metric: `intent_accuracy_${kind}`, value: r3(v.ok / v.n), unit: 'ratio', note: `${v.ok}/${v.n}` })),
  {
    metric: 'intent_accuracy_heldout',
    value: r3(heldOk / HELDOUT.length),
    unit: 'ratio',
    note: `${heldOk}/${HELDOUT.length} phrasings never used for tuning${misses.length ? `; missed: ${misses.join('; ')}` : ''}`,
  },
  ...Object.entries(heldByKind).map(([kind, v]) => ({
    metric: `intent_accuracy_heldout_${kind}`,
    value: r3(v.ok / v.n),
    unit: 'ratio',
    note: `${v.ok}/${v.n}`,
  })),
];
console.log(JSON.stringify({ name: 'intents', results }));
