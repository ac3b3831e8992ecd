import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/database.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { allTables } from '../../src/hub/parts.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { tempDir } from '../helpers/hub.js';
import { runCli, SLOW_TEST_MS } from './slow.js';

/** `hearth audit verify|export` on a real database file that the test then tampers with. */
describe('hearth audit', { timeout: SLOW_TEST_MS }, () => {
  let data: string;
  beforeEach(() => {
    data = tempDir();
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    const trail = new AuditTrail(store.db, systemClock);
    for (let i = 1; i <= 6; i++) {
      trail.append({
        actor: `mem_${i % 2 ? 'ann' : 'bob'}`,
        origin: 'web',
        kind: i === 3 ? 'member.created' : 'auth.login',
        subject: `s${i}`,
        data: { n: i, note: i === 4 ? '=cmd|evil' : 'plain, "quoted"' },
      });
    }
    store.close();
  });
  afterEach(() => rmSync(data, { recursive: true, force: true }));

  const tamper = (sql: string | ((db: Database.Database) => void)) => {
    const db = new Database(join(data, 'hearth.db'));
    if (typeof sql === 'string') db.exec(sql);
    else sql(db);
    db.close();
  };
  const verify = () => runCli(['audit', 'verify', '--data', data]);

  it('exit 0 on an intact trail', async () => {
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/intact: 6 entries/);
    // The bundle writes non-ASCII as escapes (scripts/bundle.config.mjs); the user sees the character.
    expect(r.stdout).toMatch(/, head [0-9a-f]{16}\u2026\n$/);
  });

  it('an edited entry: exit 1 naming it', async () => {
    tamper(`UPDATE audit SET data = '{"n":99}' WHERE seq = 4`);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 4: .*edited/);
  });

  it('an edited actor (metadata, not data): exit 1 naming it', async () => {
    tamper(`UPDATE audit SET actor = 'mem_eve' WHERE seq = 2`);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 2/);
  });

  it('a deleted entry: exit 1 naming it', async () => {
    tamper('DELETE FROM audit WHERE seq = 3');
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 3: .*deleted/);
  });

  it('a deleted entry with the later ones renumbered: exit 1', async () => {
    tamper('DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3');
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 3/);
  });

  it('two entries swapped: exit 1 naming the first out of place', async () => {
    tamper((db) => {
      const rows = db.prepare('SELECT * FROM audit WHERE seq IN (2, 5) ORDER BY seq').all() as Record<string, unknown>[];
      const [a, b] = rows as [Record<string, unknown>, Record<string, unknown>];
      const put = db.prepare(
        'UPDATE audit SET at = @at, actor = @actor, origin = @origin, kind = @kind, subject = @subject, data = @data, prev_hash = @prev_hash, hash = @hash WHERE seq = @seq',
      );
      db.transaction(() => {
        put.run({ ...b, seq: 2 });
        put.run({ ...a, seq: 5 });
      })();
    });
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 2/);
  });

  it('the last entries cut off: exit 1 naming the first missing one', async () => {
    tamper('DELETE FROM audit WHERE seq > 4');
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN at entry 5: .*cut off/);
  });

  it('the limit of a chain alone: the tail cut AND the head record forged is not detectable locally', async () => {
    // Cutting the tail AND forging the head record is beyond a hash chain alone: this pins
    // what the trail can and cannot promise (an export or the link's copy is the answer).
    tamper((db) => {
      db.exec('DELETE FROM audit WHERE seq > 4');
      const last = db.prepare('SELECT seq, hash FROM audit WHERE seq = 4').get() as { seq: number; hash: string };
      db.prepare('UPDATE audit_head SET seq = ?, hash = ?').run(last.seq, last.hash);
    });
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/intact: 4 entries/);
  });

  it('exports CSV with a header, quoting, and formula cells neutralised', async () => {
    const r = await runCli(['audit', 'export', '--format', 'csv', '--data', data]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('seq,at,actor,origin,kind,subject,data,prev_hash,hash');
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatch(/^1,\d{4}-\d\d-\d\dT[^,]+,mem_ann,web,auth\.login,s1,"\{""n"":1,""note"":""plain, \\""quoted\\""""\}",0{64},[0-9a-f]{64}$/);
    expect(r.stdout).not.toMatch(/,=cmd/);
  });

  it('exports JSON lines that verify on their own', async () => {
    const r = await runCli(['audit', 'export', '--format', 'jsonl', '--data', data]);
    expect(r.code).toBe(0);
    const entries = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; prev_hash: string; hash: string; kind: string });
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prev_hash).toBe(entries[i - 1]!.hash);
    expect(entries[2]!.kind).toBe('member.created');
  });

  it('refuses an unknown format (64) and a missing database (65)', async () => {
    expect((await runCli(['audit', 'export', '--format', 'xml', '--data', data])).code).toBe(64);
    const empty = tempDir();
    const r = await runCli(['audit', 'verify', '--data', empty]);
    rmSync(empty, { recursive: true, force: true });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/no Hearth database/);
  });
});
