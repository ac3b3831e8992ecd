import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/hub.js';

/**
 * DESIGN's one rule, checked on the source: nothing but the gate's executor calls a device
 * adapter's command path (`execute`), and nothing outside an adapter's own folder uses that
 * adapter's command functions. The scanner proves itself on synthetic sources first, so that
 * it cannot pass by matching nothing.
 */

const SRC = join(REPO, 'src');
const EXECUTOR = 'src/gate/executor.ts';
/** Functions that put a command on the wire, and the adapter folder that owns each. */
const COMMAND_FUNCTIONS: Record<string, string> = {
  callService: 'src/devices/homeassistant/',
  commandsFor: 'src/devices/mqtt/',
};

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[\s;{}(),])\/\/.*$/gm, '$1');
}

const CALL_PATTERNS: RegExp[] = [
  /(?<!\bthis\s*)(\?\.|\.)\s*execute\s*(\?\.)?\s*\(/, // adapter.execute(  adapters.get(s)?.execute(
  /\[\s*['"`]execute['"`]\s*\]/, // adapter['execute'](
  /\.\s*execute\s*\.\s*(call|apply|bind)\b/, // adapter.execute.call(
  /\{[^{}]*\bexecute\b[^{}]*\}\s*=(?!=)/, // const { execute } = adapter
];

/** The offending lines of one file (path relative to the repo). */
export function findViolations(path: string, source: string): string[] {
  const out: string[] = [];
  const code = stripComments(source);
  if (path !== EXECUTOR) {
    code.split('\n').forEach((line, i) => {
      if (CALL_PATTERNS.some((re) => re.test(line))) out.push(`${path}:${i + 1}: calls an adapter's execute: ${line.trim()}`);
    });
  }
  for (const [fn, owner] of Object.entries(COMMAND_FUNCTIONS)) {
    if (path.startsWith(owner)) continue;
    const importRe = new RegExp(`import\\s*(type\\s*)?\\{[^}]*\\b${fn}\\b[^}]*\\}\\s*from`, 'm');
    const callRe = new RegExp(`\\b${fn}\\s*\\(`);
    if (importRe.test(code) || callRe.test(code)) out.push(`${path}: uses ${fn}, a command function of ${owner}`);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

describe('the command path', () => {
  it('the scanner catches every way of calling an adapter, and only those', () => {
    const bad = [
      'await adapter.execute(entity, "unlock", {});',
      'await this.deps.adapters.get(e.source)?.execute(e, op, p);',
      'void adapters.get(source)!.execute(entity, op, {})',
      "await adapter['execute'](entity, 'unlock', {});",
      'return adapter.execute.call(adapter, e, op, p);',
      'const { execute } = adapter;',
      "import { callService } from '../devices/homeassistant/session.js';",
      'await session.callService(domain, op, data);',
      'const cmds = commandsFor(component, cfg, entity, op, params);',
    ];
    for (const line of bad) {
      expect(findViolations('src/workflows/new-file.ts', `const x = 1;\n${line}\n`), line).not.toEqual([]);
    }
    const fine = [
      'async execute(entity: Entity, operation: string, params: Record<string, unknown>): Promise<void> {',
      'execute(entity: Entity, operation: string, params: Record<string, unknown>): Promise<void>;',
      'await this.execute(cmd);',
      '// only the executor calls adapter.execute(entity, op, params)',
      '/* adapter.execute( in a block comment */',
      'const url = "http://example.invalid/execute";',
    ];
    for (const line of fine) expect(findViolations('src/link/commands.ts', `${line}\n`), line).toEqual([]);
    // The executor itself is allowed, and the owning folder may use its own command functions.
    expect(findViolations(EXECUTOR, 'await adapter.execute(entity, action.operation, action.params);')).toEqual([]);
    expect(findViolations('src/devices/homeassistant/adapter.ts', 'await session.callService(domain, operation, data);')).toEqual([]);
  });

  it("no module but the gate executor calls a device adapter's command path", () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(20);
    const violations: string[] = [];
    let executorCalls = 0;
    for (const file of files) {
      const path = relative(REPO, file).split('\\').join('/');
      const source = readFileSync(file, 'utf8');
      violations.push(...findViolations(path, source));
      if (path === EXECUTOR)
        executorCalls = stripComments(source)
          .split('\n')
          .filter((l) => CALL_PATTERNS[0]!.test(l)).length;
    }
    expect(violations).toEqual([]);
    // The real command path is found where it should be: the scanner is looking at live code.
    expect(executorCalls).toBeGreaterThanOrEqual(1);
  });
});
