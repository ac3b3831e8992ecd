import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDb, toSqlite, type Db } from '../../src/relay/db.js';
import { Postgres } from '../helpers/postgres.js';
import { tmp } from '../link/helpers.js';

let pgs: Postgres;
let pgUrl: string;

beforeAll(async () => {
  pgs = await Postgres.start();
  pgUrl = await pgs.createDatabase('dbtest');
}, 120_000);
afterAll(async () => pgs?.stop());

it('converts $n placeholders for SQLite, in order, repeats included, not inside quotes', () => {
  expect(toSqlite("SELECT $2, '$1', $1, $2", ['a', 'b'])).toEqual({ sql: "SELECT ?, '$1', ?, ?", params: ['b', 'a', 'b'] });
  expect(() => toSqlite('SELECT $3', [1])).toThrow(/\$3/);
});

const backends: [string, () => Promise<Db>][] = [
  ['sqlite file', async () => openDb({ file: join(tmp('hearth-db-'), 'relay.db') })],
  ['postgres', async () => openDb({ url: pgUrl })],
];

describe.each(backends)('%s', (name, open) => {
  let db: Db;
  let db2: Db;
  beforeAll(async () => {
    db = await open();
    db2 = name === 'postgres' ? await open() : db;
    const table = `t_${name.replace(/\W/g, '_')}`;
    await db.exec(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (k TEXT PRIMARY KEY, n BIGINT NOT NULL, b ${db.blobType})`);
    await db.exec(`CREATE TABLE IF NOT EXISTS counters (k TEXT PRIMARY KEY, n BIGINT NOT NULL)`);
    (db as Db & { table?: string }).table = table;
  });
  afterAll(async () => {
    await db.close();
    if (db2 !== db) await db2.close();
  });
  const t = () => (db as Db & { table?: string }).table!;

  it('runs, queries, counts, upserts and keeps bytes and big numbers', async () => {
    expect(
      (await db.run(`INSERT INTO ${t()} (k, n, b) VALUES ($1, $2, $3) ON CONFLICT (k) DO NOTHING`, ['a', 1_700_000_000_000, Buffer.from([0, 1, 255])])).changes,
    ).toBe(1);
    expect((await db.run(`INSERT INTO ${t()} (k, n) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING`, ['a', 2])).changes).toBe(0);
    await db.run(`INSERT INTO ${t()} (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = excluded.n + 1`, ['b', 5]);
    await db.run(`INSERT INTO ${t()} (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = excluded.n + 1`, ['b', 5]);
    const rows = await db.query<{ k: string; n: number; b: Buffer | null }>(`SELECT k, n, b FROM ${t()} ORDER BY k`);
    expect(rows.map((r) => [r.k, r.n])).toEqual([
      ['a', 1_700_000_000_000],
      ['b', 6],
    ]);
    expect(Buffer.from(rows[0]!.b!)).toEqual(Buffer.from([0, 1, 255]));
    expect(await db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t()}`)).toEqual({ n: 2 });
  });

  it('rolls a failed transaction back', async () => {
    await expect(
      db.tx(async (q) => {
        await q.run(`INSERT INTO ${t()} (k, n) VALUES ($1, $2)`, ['c', 1]);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await db.one(`SELECT k FROM ${t()} WHERE k = $1`, ['c'])).toBeUndefined();
  });

  it('takes turns under a lock: read-modify-write from two connections loses no update', async () => {
    await db.run(`INSERT INTO counters (k, n) VALUES ($1, 0) ON CONFLICT (k) DO NOTHING`, [name]);
    const bump = (d: Db) =>
      d.tx(async (q) => {
        await q.lock(`counter:${name}`);
        const row = await q.one<{ n: number }>('SELECT n FROM counters WHERE k = $1', [name]);
        await new Promise((r) => setTimeout(r, 1));
        await q.run('UPDATE counters SET n = $1 WHERE k = $2', [row!.n + 1, name]);
      });
    await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i % 2 ? db : db2)));
    expect(await db.one('SELECT n FROM counters WHERE k = $1', [name])).toEqual({ n: 40 });
  });
});
