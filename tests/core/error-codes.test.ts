import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { GATE_ERRORS } from '../../src/gate/errors.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const files = (readdirSync(SRC, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(SRC, f));

// Error codes are contracts (DESIGN's HTTP API): each part defines its codes once, in its
// errors.ts with defineErrors (as Fastify's FST_ERR_*), and throws through that.
describe('error codes', () => {
  test('no HearthError is made with a literal code outside an errors.ts', () => {
    const found = files
      .filter((f) => basename(f) !== 'errors.ts')
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(SRC, f)}:${i + 1}` }))
          .filter(({ line }) => /new HearthError\(\s*['"`]/.test(line))
          .map(({ at }) => at),
      );
    // A call split over lines (`new HearthError(\n  'CODE'`) too.
    const split = files
      .filter((f) => basename(f) !== 'errors.ts')
      .filter((f) => /new HearthError\(\s*\n\s*['"`]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect([...found, ...split]).toEqual([]);
  });

  test('a code that several parts define has one HTTP status everywhere', async () => {
    const seen = new Map<string, { status: number; where: string }>();
    const clashes: string[] = [];
    for (const f of files.filter((x) => basename(x) === 'errors.ts')) {
      const mod = (await import(f)) as Record<string, unknown>;
      for (const value of Object.values(mod)) {
        const statuses = (value as { statuses?: Record<string, number> } | null)?.statuses;
        if (!statuses || typeof statuses !== 'object') continue;
        for (const [code, status] of Object.entries(statuses)) {
          const before = seen.get(code);
          if (before && before.status !== status) clashes.push(`${code}: ${before.status} in ${before.where}, ${status} in ${relative(SRC, f)}`);
          if (!before) seen.set(code, { status, where: relative(SRC, f) });
        }
      }
    }
    expect(clashes).toEqual([]);
    expect(seen.size).toBeGreaterThan(60);
    // The gate's codes, as DESIGN lists them, are still there with their statuses.
    expect(GATE_ERRORS).toMatchObject({ APPROVAL_NOT_FOUND: 404, PIN_REQUIRED: 403, UNSUPPORTED_OPERATION: 400, INVALID_PARAMS: 400 });
  });
});
