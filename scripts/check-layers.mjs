#!/usr/bin/env node
// The direction of dependencies in DESIGN, checked: every file under src/ belongs to the layer
// of its part folder (scripts/layers.json), and no import (type-only and `await import()`
// included) may reach a higher layer. Parts in the same layer may use each other, but the
// folders must not form a cycle (types included), and neither may the files (at run time:
// an `import type` is erased, so a cycle through one is no cycle).
//
//   node scripts/check-layers.mjs [--root DIR]     exit 0 when clean, 1 with one line per problem
//
// A regex reads the imports: the code base uses only `import … from '…'`, `export … from '…'`
// and `import('…')` with relative paths, which is all that can cross a folder.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative, resolve, sep } from 'node:path';

const args = process.argv.slice(2);
const rootArg = args.indexOf('--root');
const root = resolve(rootArg >= 0 ? args[rootArg + 1] : join(dirname(new URL(import.meta.url).pathname), '..'));
const rules = JSON.parse(readFileSync(join(dirname(new URL(import.meta.url).pathname), 'layers.json'), 'utf8'));
const src = join(root, 'src');

/** layer name → index (bottom 0); folder → layer index. */
const layerIndex = new Map(rules.layers.map((l, i) => [l.name, i]));
const folderLayer = new Map();
for (const l of rules.layers) for (const f of l.folders) folderLayer.set(f, layerIndex.get(l.name));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The part folder of a file: the longest folder in the rules that contains it. */
function folderOf(file) {
  const rel = relative(src, file).split(sep).join('/');
  let best;
  for (const f of folderLayer.keys()) if ((rel === f || rel.startsWith(`${f}/`)) && (!best || f.length > best.length)) best = f;
  return best;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function importsOf(file) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[2] ?? m[3];
    let target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!existsSync(target) && existsSync(`${target}.ts`)) target = `${target}.ts`;
    if (!existsSync(target) && existsSync(join(target, 'index.ts'))) target = join(target, 'index.ts');
    out.push({ target, typeOnly: Boolean(m[1]) });
  }
  return out;
}

const problems = [];
const files = walk(src);
const rel = (f) => relative(root, f).split(sep).join('/');
const fileEdges = new Map();
const folderEdges = new Map();
for (const file of files) {
  const from = folderOf(file);
  if (from === undefined) {
    problems.push(`${rel(file)}: its folder is in no layer; add it to scripts/layers.json`);
    continue;
  }
  const edges = [];
  for (const { target, typeOnly } of importsOf(file)) {
    if (!target.startsWith(src + sep)) continue;
    // A file cycle through `import type` costs nothing at run time (the types are erased).
    if (!typeOnly) edges.push(target);
    const to = folderOf(target);
    if (to === undefined || to === from) continue;
    if (folderLayer.get(to) > folderLayer.get(from)) {
      problems.push(
        `${rel(file)} imports ${rel(target)}: ${from} (layer ${rules.layers[folderLayer.get(from)].name}) must not import ${to} (layer ${rules.layers[folderLayer.get(to)].name}), which is above it`,
      );
    }
    if (!folderEdges.has(from)) folderEdges.set(from, new Map());
    folderEdges.get(from).set(to, `${rel(file)} → ${rel(target)}`);
  }
  fileEdges.set(file, edges);
}

/** Tarjan's strongly connected components: each component of more than one node is a cycle. */
function cycles(nodes, next) {
  let index = 0;
  const idx = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [],
    out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.reverse());
    }
  };
  for (const v of nodes) if (!idx.has(v)) visit(v);
  return out;
}

for (const comp of cycles([...folderEdges.keys()], (f) => [...(folderEdges.get(f)?.keys() ?? [])])) {
  const inComp = new Set(comp);
  const via = comp.flatMap((f) => [...folderEdges.get(f)].filter(([to]) => inComp.has(to)).map(([, why]) => why));
  problems.push(`the folders ${comp.join(', ')} import each other: ${via.join('; ')}`);
}
for (const comp of cycles(files, (f) => fileEdges.get(f) ?? [])) {
  problems.push(`the files ${comp.map(rel).join(', ')} import each other in a cycle`);
}

if (problems.length) {
  for (const p of problems) process.stderr.write(`layers: ${p}\n`);
  process.stderr.write(`layers: ${problems.length} problem${problems.length > 1 ? 's' : ''} (rules: scripts/layers.json, docs/architecture.md)\n`);
  process.exit(1);
}
process.stdout.write(`layers: ${files.length} files, no upward import, no cycle\n`);
