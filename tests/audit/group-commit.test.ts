import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE, Store } from '../../src/store/database.js';
import { commitsFor } from '../../src/store/commits.js';
import { auditTables } from '../../src/audit/tables.js';
import { AuditTrail } from '../../src/audit/trail.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { ManualClock } from '../../src/core/clock.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/hub.js';

/** Entries appended durably in one turn of the event loop share one commit, and keep the chain exact. */
describe('audit group commit', () => {
  let dir: string;
  let store: Store;
  let trail: AuditTrail;
  let reader: Database.Database;
  const bus = new EventBus();
  const clock = new ManualClock(Date.UTC(2026, 10, 21, 12));
  const committed = () => (reader.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;

  beforeEach(() => {
    dir = tempDir();
    store = Store.open({ dataDir: dir, log: silentLogger(), parts: [auditTables] });
    trail = new AuditTrail(store.db, clock, bus);
    reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
  });
  afterEach(() => {
    reader.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a hundred entries of one turn: one commit, on disk when their promises resolve, seq and prev_hash exact', async () => {
    const stats = commitsFor(store.db).stats;
    const before = stats.commits;
    const announced: number[] = [];
    const off = bus.on('audit.appended', (e) => announced.push(e.seq));
    const pending = Array.from({ length: 100 }, (_, i) => trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.entry', data: { i } }));
    expect(committed()).toBe(0); // queued, not written: nobody may act on them yet
    const entries = await Promise.all(pending);
    off();
    expect(stats.commits - before).toBe(1);
    expect(committed()).toBe(100); // a second connection sees them all
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    entries.slice(1).forEach((e, i) => expect(e.prev_hash).toBe(entries[i]!.hash));
    expect(announced).toEqual(entries.map((e) => e.seq));
    expect(trail.verify()).toEqual({ ok: true, count: 100, head: { seq: 100, hash: entries[99]!.hash } });
  });

  it('a write that throws takes back only its own entry; the others of the turn land', async () => {
    const a = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.a' });
    const bad = trail.withEntryDurably({ actor: 'system', origin: 'system', kind: 'test.bad' }, () => {
      store.db.exec("CREATE TABLE IF NOT EXISTS scratch (v TEXT); INSERT INTO scratch VALUES ('rolled back')");
      throw new Error('lost the race');
    });
    const c = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.c' });
    await expect(bad).rejects.toThrow('lost the race');
    const [ea, ec] = await Promise.all([a, c]);
    expect([ea.seq, ec.seq]).toEqual([1, 2]);
    expect(ec.prev_hash).toBe(ea.hash);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'scratch'").get()).toBeUndefined();
    expect(trail.list().entries.map((e) => e.kind)).toEqual(['test.c', 'test.a']);
    expect(trail.verify()).toMatchObject({ ok: true, count: 2 });
  });

  it('a synchronous append commits what waits before it, in order, and is on disk when it returns', async () => {
    const queued = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.queued' });
    const now = trail.append({ actor: 'system', origin: 'system', kind: 'test.now' });
    expect(committed()).toBe(2);
    const first: AuditEntry = await queued;
    expect([first.seq, now.seq]).toEqual([1, 2]);
    expect(now.prev_hash).toBe(first.hash);
  });

  it('closing the store lands what still waits', async () => {
    const queued = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.last' });
    store.close();
    await expect(queued).resolves.toMatchObject({ seq: 1 });
    expect(committed()).toBe(1);
    store = Store.open({ dataDir: dir, log: silentLogger(), parts: [auditTables] }); // for afterEach
  });
});
