import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { fsync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE, Store } from '../../src/store/database.js';
import { commitsFor, type FileSync } from '../../src/store/commits.js';
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

  it("the WAL's fsync runs off the event loop: the entry is committed at once, its promise resolves only once the fsync returned", async () => {
    const held: (() => void)[] = [];
    const holdingSync: FileSync = (fd, done) => held.push(() => fsync(fd, done));
    commitsFor(store.db).useFileSync(holdingSync);
    const syncs = commitsFor(store.db).stats.syncs;
    let landed = false;
    const entry = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.held' }).then((e) => ((landed = true), e));
    // Turns of the event loop go by while the disk has not answered: the hub keeps serving.
    for (let turn = 0; turn < 5; turn++) await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    expect(committed()).toBe(1); // written to the WAL (a second connection sees it)...
    expect(landed).toBe(false); // ...but nobody may act on it before the fsync returned
    held.shift()!();
    await expect(entry).resolves.toMatchObject({ seq: 1, kind: 'test.held' });
    expect(commitsFor(store.db).stats.syncs).toBe(syncs + 1);
  });

  it('writes made while an fsync is out wait for it, then go together in one commit, and resolve only after their own fsync', async () => {
    const held: (() => void)[] = [];
    commitsFor(store.db).useFileSync((fd, done) => held.push(() => fsync(fd, done)));
    const stats = commitsFor(store.db).stats;
    const commits = stats.commits;
    const first = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.first' });
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    // Three more turns, each with a write, while the disk has not answered.
    const later: Promise<AuditEntry>[] = [];
    const resolved: number[] = [];
    for (let turn = 0; turn < 3; turn++) {
      later.push(trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.during', data: { turn } }).then((e) => (resolved.push(e.seq), e)));
      await new Promise((r) => setImmediate(r));
    }
    expect(stats.commits - commits).toBe(1); // they wait: no commit (and no fsync) per turn
    expect(committed()).toBe(1);
    held.shift()!();
    await first;
    for (let i = 0; i < 5 && held.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(stats.commits - commits).toBe(2); // the three in ONE commit
    expect(committed()).toBe(4);
    expect(resolved).toEqual([]); // on the WAL, not yet fsynced: nobody may act on them
    held.shift()!();
    expect((await Promise.all(later)).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(trail.verify()).toMatchObject({ ok: true, count: 4 });
  });

  it('an fsync that fails rejects the writes it carried; later group commits are synchronous FULL commits again', async () => {
    let calls = 0;
    const failingDisk: FileSync = (_fd, done) => {
      calls++;
      setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
    };
    commitsFor(store.db).useFileSync(failingDisk);
    await expect(trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.lost' })).rejects.toThrow('EIO');
    const next = await trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.after' });
    expect(calls).toBe(1); // the second commit did not trust the disk's fsync again: FULL, on the event loop
    expect(next.seq).toBe(2);
    expect(trail.verify()).toMatchObject({ ok: true, count: 2 });
  });

  it('closing the store while an fsync is out: what waits lands, the fsync still settles its writes', async () => {
    const held: (() => void)[] = [];
    commitsFor(store.db).useFileSync((fd, done) => held.push(() => fsync(fd, done)));
    const first = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.first' });
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    const second = trail.appendDurably({ actor: 'system', origin: 'system', kind: 'test.second' });
    store.close();
    await expect(second).resolves.toMatchObject({ seq: 2 });
    held.shift()!();
    await expect(first).resolves.toMatchObject({ seq: 1 });
    expect(committed()).toBe(2);
    // Nothing of the store holds the WAL file open any more (the group's own descriptor included).
    reader.close();
    const wal = join(dir, `${DATABASE_FILE}-wal`);
    const open = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(wal);
      } catch {
        return false;
      }
    });
    expect(open).toEqual([]);
    reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    store = Store.open({ dataDir: dir, log: silentLogger(), parts: [auditTables] }); // for afterEach
  });
});
