import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/database.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { allTables } from '../../src/hub/parts.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { SecretBox } from '../../src/config/secret-box.js';
import { takeSnapshot } from '../../src/backups/snapshot.js';
import { tempDir } from '../helpers/hub.js';

describe('a backup snapshot of the live database', () => {
  const dirs: string[] = [];
  const tmpBefore = process.env.TMPDIR;
  afterEach(() => {
    if (tmpBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpBefore;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is made beside the database (not in a RAM-disk tmp), lets the hub keep working, and holds the whole trail', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const data = join(dir, 'data');
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    try {
      const trail = new AuditTrail(store.db, systemClock);
      // Enough pages that the online backup takes several turns of the event loop.
      const blob = 'x'.repeat(4000);
      for (let i = 1; i <= 400; i++) trail.append({ actor: 'mem_ann', origin: 'web', kind: 'test.before', data: { i, blob } });
      // A tmp that cannot be written: a Pi's /tmp may be a small tmpfs, and the copy must not go there.
      const notWritable = join(dir, 'not-a-dir');
      writeFileSync(notWritable, '');
      process.env.TMPDIR = notWritable;

      let turns = 0;
      const ticker = setInterval(() => turns++, 0);
      let snap;
      try {
        snap = await takeSnapshot(store.db, { box: SecretBox.open(data), clock: systemClock, actor: 'test', origin: 'cli', file: 'x.hbk', audit: trail });
      } finally {
        clearInterval(ticker);
      }
      expect(turns).toBeGreaterThan(0); // the event loop turned while the copy was made
      expect(snap.entries).toBe(401);
      const copy = join(dir, 'copy.db');
      writeFileSync(copy, snap.plain);
      const db = new Database(copy, { readonly: true });
      const kinds = (db.prepare('SELECT kind FROM audit ORDER BY seq').all() as { kind: string }[]).map((r) => r.kind);
      db.close();
      expect(kinds).toHaveLength(401);
      expect(kinds.at(-1)).toBe('backup.created');
      expect(readdirSync(data).filter((n) => n.startsWith('.backup-'))).toEqual([]); // the work folder is gone
    } finally {
      store.close();
    }
  });
});
