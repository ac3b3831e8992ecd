#!/usr/bin/env node
// Figures of issue 11 (the shape of the code): the largest source file and how long the layer
// check takes, against the cost of merely reading the same files. (What adding a part touches
// outside its folder is counted in docs/performance.md: it is a property of the list, not a time.)
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sorted, pct, round } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.ts')) files.push(p);
  }
};
walk(join(root, 'src'));
const lines = files.map((f) => ({ f: f.slice(root.length), n: readFileSync(f, 'utf8').split('\n').length - 1 })).sort((a, b) => b.n - a.n);

const time = (fn) => {
  const out = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return pct(sorted(out), 50);
};
const check = time(() => execFileSync(process.execPath, [join(root, 'scripts/check-layers.mjs')], { stdio: 'ignore' }));
const read = time(() =>
  execFileSync(process.execPath, ['-e', `for (const f of ${JSON.stringify(files)}) require('fs').readFileSync(f, 'utf8')`], { stdio: 'ignore' }),
);

console.log(
  JSON.stringify({
    name: 'structure',
    results: [
      {
        metric: `largest source file (${lines[0].f})`,
        value: lines[0].n,
        unit: 'lines',
        note: `${files.length} files under src/; next: ${lines[1].f} ${lines[1].n}`,
      },
      {
        metric: 'layer check (scripts/check-layers.mjs), median of 5',
        value: round(check, 0),
        unit: 'ms',
        baseline: { label: 'node reading the same files', value: round(read, 0) },
      },
    ],
  }),
);
