import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../src/store/database.js';
import { auditTables } from '../../src/audit/tables.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { GENESIS_HASH, entryHash } from '../../src/audit/entry.js';
import { ManualClock } from '../../src/core/clock.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/hub.js';

describe('audit trail', () => {
  let dir: string;
  let store: Store;
  let trail: AuditTrail;
  const clock = new ManualClock(Date.UTC(2026, 10, 21, 12));

  beforeEach(() => {
    dir = tempDir();
    store = Store.open({ dataDir: dir, log: silentLogger(), parts: [auditTables] });
    trail = new AuditTrail(store.db, clock, new EventBus());
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('chains each entry to the one before by SHA-256 over canonical JSON', () => {
    const a = trail.append({ actor: 'system', origin: 'system', kind: 'hub.starting', data: { b: 1, a: 2 } });
    const b = trail.append({ actor: 'mem_1', origin: 'web', kind: 'auth.login', subject: 'mem_1' });
    expect(a.seq).toBe(1);
    expect(a.prev_hash).toBe(GENESIS_HASH);
    expect(b.prev_hash).toBe(a.hash);
    const { hash, ...rest } = b;
    expect(entryHash(rest)).toBe(hash);
    expect(trail.verify()).toEqual({ ok: true, count: 2, head: { seq: 2, hash: b.hash } });
  });

  it('finds an edited, deleted, reordered or truncated entry and names it', () => {
    for (let i = 0; i < 5; i++) trail.append({ actor: 'system', origin: 'system', kind: 'test', data: { i } });
    const raw = new Database(join(dir, 'hearth.db'));
    raw.prepare('UPDATE audit SET data = \'{"i":99}\' WHERE seq = 3').run();
    let result = trail.verify();
    expect(result).toMatchObject({ ok: false, broken: { seq: 3 } });
    raw.prepare('UPDATE audit SET data = \'{"i":2}\' WHERE seq = 3').run();
    expect(trail.verify().ok).toBe(true);

    raw.prepare('DELETE FROM audit WHERE seq = 2').run();
    result = trail.verify();
    expect(result).toMatchObject({ ok: false, broken: { seq: 2 } });
    raw.close();
  });

  it('notices entries cut off the end through the head record', () => {
    for (let i = 0; i < 4; i++) trail.append({ actor: 'system', origin: 'system', kind: 'test' });
    const raw = new Database(join(dir, 'hearth.db'));
    raw.prepare('DELETE FROM audit WHERE seq >= 3').run();
    raw.close();
    expect(trail.verify()).toMatchObject({ ok: false, broken: { seq: 3 } });
  });

  it('withEntry commits the work and its entry together, or neither', () => {
    store.db.exec('CREATE TABLE thing (id INTEGER PRIMARY KEY)');
    expect(() =>
      trail.withEntry({ actor: 'x', origin: 'web', kind: 'thing.made' }, () => {
        store.db.prepare('INSERT INTO thing (id) VALUES (1)').run();
        throw new Error('fails after the write');
      }),
    ).toThrow('fails after the write');
    expect(trail.count()).toBe(0);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM thing').get()).toEqual({ n: 0 });
    trail.withEntry({ actor: 'x', origin: 'web', kind: 'thing.made' }, () => store.db.prepare('INSERT INTO thing (id) VALUES (1)').run());
    expect(trail.count()).toBe(1);
  });

  it('lists newest first with filters and a cursor, and iterates past a page boundary', () => {
    for (let i = 0; i < 1200; i++)
      trail.append({ actor: i % 2 ? 'alice' : 'bob', origin: 'web', kind: i % 3 ? 'auth.login' : 'member.created', subject: `s${i % 5}` });
    const page1 = trail.list({ actor: 'alice', limit: 10 });
    expect(page1.entries).toHaveLength(10);
    expect(page1.entries.every((e) => e.actor === 'alice')).toBe(true);
    expect(page1.entries[0]!.seq).toBeGreaterThan(page1.entries[9]!.seq);
    const page2 = trail.list({ actor: 'alice', limit: 10, before: page1.next_before! });
    expect(page2.entries[0]!.seq).toBeLessThan(page1.entries[9]!.seq);
    expect(trail.list({ kind: 'auth.*', limit: 500 }).entries.every((e) => e.kind.startsWith('auth.'))).toBe(true);
    expect(trail.list({ subject: 's3', limit: 500 }).entries.every((e) => e.subject === 's3')).toBe(true);
    const seqs = [...trail.iterate()].map((e) => e.seq);
    expect(seqs).toHaveLength(1200);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
  });

  it('emits each entry on the bus after it is stored', () => {
    const bus = new EventBus();
    const t = new AuditTrail(store.db, clock, bus);
    const seen: number[] = [];
    bus.on('audit.appended', (e) => seen.push(e.seq));
    t.append({ actor: 'a', origin: 'cli', kind: 'k' });
    expect(seen).toEqual([1]);
  });
});
