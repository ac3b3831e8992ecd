import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/relay/db.js';
import { AuditChains } from '../../src/relay/chain.js';
import { entryHash, GENESIS_HASH, type AuditEntry } from '../../src/audit/entry.js';
import { Postgres } from '../helpers/postgres.js';
import { tmp } from '../link/helpers.js';

function chainOf(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const rest = {
      seq,
      at: new Date(1_700_000_000_000 + seq).toISOString(),
      actor: 'test',
      origin: 'system' as const,
      kind: 'test.chain',
      subject: null,
      data: { seq },
      prev_hash: prev,
    };
    const hash = entryHash(rest);
    out.push({ ...rest, hash });
    prev = hash;
  }
  return out;
}

let pgs: Postgres;
beforeAll(async () => {
  pgs = await Postgres.start();
}, 120_000);
afterAll(async () => pgs?.stop());

let sqlite: Promise<Db> | undefined;
describe.each([
  ['postgres', async (name: string) => openDb({ url: await pgs.createDatabase(name) }), () => openDb({ url: pgs.url('chains_postgres') })],
  // One relay: its handlers still overlap (the store is asynchronous); one connection takes turns.
  ['sqlite', () => (sqlite ??= openDb({ file: join(tmp('hearth-chain-'), 'relay.db') })), () => sqlite!],
] as const)('audit chains on %s', (kind, open, reopen) => {
  let dbs: Db[] = [];
  afterAll(async () => {
    for (const d of new Set(dbs)) await d.close();
  });

  it('two relays on one store, handed neighbouring entries at the same moment, lose none and store each once', async () => {
    const first = await open(`chains_${kind}`);
    // Two connections to one store, as two relays have.
    const second = await reopen();
    dbs = [first, second];
    const [a, c] = await Promise.all([AuditChains.open(first), AuditChains.open(second)]);
    const entries = chainOf(300);
    for (let i = 0; i < entries.length; i += 2) {
      const pair = [a.accept('hub-x', entries[i]), c.accept('hub-x', entries[i + 1])];
      if (i % 10 === 0) pair.push(a.accept('hub-x', entries[i])); // a duplicate now and then
      const verdicts = await Promise.all(pair);
      expect(verdicts).not.toContain('broken');
    }
    const head = await a.headOf('hub-x');
    expect(head).toMatchObject({ seq: 300, hash: entries[299]!.hash, broken: null, waiting: 0 });
    expect((await a.entries('hub-x', 1, 1000)).map((e) => e.seq)).toEqual(entries.map((e) => e.seq));
  });

  it('names the first broken entry and keeps its copy', async () => {
    const d = dbs[0]!;
    const chains = await AuditChains.open(d);
    const entries = chainOf(5);
    const forged = { ...entries[2]!, data: { seq: 999 } };
    expect(await chains.accept('hub-y', entries[0])).toBe('appended');
    expect(await chains.accept('hub-y', entries[1])).toBe('appended');
    expect(await chains.accept('hub-y', entries[3])).toBe('buffered');
    expect(await chains.accept('hub-y', forged)).toBe('broken');
    expect(await chains.accept('hub-y', entries[1])).toBe('duplicate');
    expect((await chains.headOf('hub-y')).broken).toEqual({ seq: 3, reason: 'its content does not match its hash' });
    expect(await chains.accept('hub-y', { seq: 'x' })).toBe('broken');
  });
});
