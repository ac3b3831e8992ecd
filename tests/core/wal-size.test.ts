import { afterEach, describe, expect, it } from 'vitest';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Store, WAL_SIZE_LIMIT } from '../../src/store/database.js';
import { allTables } from '../../src/hub/parts.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/hub.js';

describe('the WAL file on a long-running hub', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is trimmed back after a burst instead of keeping its largest size for ever', () => {
    const dir = tempDir();
    dirs.push(dir);
    const data = join(dir, 'data');
    const store = Store.open({ dataDir: data, log: silentLogger(), parts: allTables });
    try {
      const db = store.db;
      db.exec('CREATE TABLE burst (n INTEGER, blob TEXT)');
      const blob = 'x'.repeat(64 * 1024);
      const insert = db.prepare('INSERT INTO burst (n, blob) VALUES (?, ?)');
      // One transaction of ~10 MB: the WAL has to grow past the limit to hold it.
      db.transaction(() => {
        for (let i = 0; i < 160; i++) insert.run(i, blob);
      })();
      const wal = join(data, 'hearth.db-wal');
      expect(statSync(wal).size).toBeGreaterThan(2 * WAL_SIZE_LIMIT);
      db.pragma('wal_checkpoint(PASSIVE)');
      db.prepare('DELETE FROM burst WHERE n = 0').run(); // the next write restarts the WAL from its start
      expect(statSync(wal).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT);
    } finally {
      store.close();
    }
  });
});
