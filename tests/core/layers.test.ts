import { describe, expect, it, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/hub.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const checker = join(repo, 'scripts/check-layers.mjs');

/** Runs the layer check on a tree of files (path under src/ → text). */
function check(files: Record<string, string>): { status: number | null; out: string } {
  const root = tempDir('hearth-layers-');
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
    writeFileSync(join(root, 'src', path), text);
  }
  const run = spawnSync(process.execPath, [checker, '--root', root], { encoding: 'utf8' });
  return { status: run.status, out: run.stdout + run.stderr };
}
const dirs: string[] = [];

describe('the layer rules (npm run lint)', () => {
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('pass on the hub as it is', () => {
    const run = spawnSync(process.execPath, [checker], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('pass when a part imports downwards, types and lazy imports included', () => {
    const run = check({
      'core/errors.ts': 'export const x = 1;\n',
      'gate/gate.ts': "import { x } from '../core/errors.js';\nimport type { Y } from '../members/model.js';\nexport const g = x;\n",
      'members/model.ts': 'export type Y = number;\n',
      'hub/hub.ts': "export const load = () => import('../gate/gate.js');\n",
    });
    expect(run.out).toContain('no upward import');
    expect(run.status).toBe(0);
  });

  it('fail on a planted upward import, naming the file and both layers', () => {
    const run = check({
      'core/context.ts': "import type { ActionGate } from '../gate/gate.js';\nexport type C = ActionGate;\n",
      'gate/gate.ts': 'export class ActionGate {}\n',
    });
    expect(run.status).toBe(1);
    expect(run.out).toContain('src/core/context.ts imports src/gate/gate.ts: core (layer core) must not import gate (layer gate)');
  });

  it('fail on an upward `await import()` (the link loading the CLI)', () => {
    const run = check({
      'link/index.ts': "export const doctor = async () => (await import('../cli/commands/doctor.js')).run;\n",
      'cli/commands/doctor.ts': 'export const run = 1;\n',
    });
    expect(run.status).toBe(1);
    expect(run.out).toContain('link (layer above the gate) must not import cli (layer top)');
  });

  it('fail on parts of one layer that import each other, and on files in a cycle', () => {
    const run = check({
      'members/a.ts': "import { d } from '../devices/d.js';\nexport const a = d;\n",
      'devices/d.ts': "import { b } from '../members/b.js';\nexport const d = b;\n",
      'members/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    expect(run.status).toBe(1);
    expect(run.out).toMatch(/the folders (members, devices|devices, members) import each other/);
    expect(run.out).toContain('import each other in a cycle');
  });

  it('fail on a folder that is in no layer', () => {
    const run = check({ 'attic/old.ts': 'export {};\n' });
    expect(run.status).toBe(1);
    expect(run.out).toContain('src/attic/old.ts: its folder is in no layer');
  });
});
