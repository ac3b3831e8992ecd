import { createHash } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import { backupChunkSchema } from '../link/messages.js';
import { sealedKdf } from '../core/sealed.js';
import type { Db } from './db.js';

export interface BackupCopy {
  name: string;
  bytes: number;
  sha256: string;
  stored_at: string;
}

/** Pieces of a copy not completed within a day are dropped (the hub sends the next backup whole). */
const STALE_MS = 86_400_000;

/**
 * The relay's copies of hubs' backups, which it cannot read: each is sealed with a key derived
 * from the owner's passphrase. Pieces arrive on `up/backup` (possibly at different relays of
 * the group); whoever stores the last one joins them, checks length and SHA-256, keeps the copy
 * and drops the oldest beyond `keep`. A download needs the token only the passphrase gives
 * (core/sealed.ts relayDownloadToken); the relay keeps its digest.
 */
export class RelayBackups {
  private constructor(
    private readonly db: Db,
    private readonly o: { keep: number; maxBytes: number; log: Logger; now: () => number },
  ) {}

  static async open(db: Db, o: { keep: number; maxBytes: number; log: Logger; now?: () => number }): Promise<RelayBackups> {
    await db.exec(`
      CREATE TABLE IF NOT EXISTS backup_chunks (hub_id TEXT NOT NULL, name TEXT NOT NULL, idx BIGINT NOT NULL, count BIGINT NOT NULL, data ${db.blobType} NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (hub_id, name, idx));
      CREATE TABLE IF NOT EXISTS backup_copies (hub_id TEXT NOT NULL, name TEXT NOT NULL, bytes BIGINT NOT NULL, sha256 TEXT NOT NULL, download_sha256 TEXT NOT NULL, data ${db.blobType} NOT NULL, stored_at BIGINT NOT NULL, PRIMARY KEY (hub_id, name));
    `);
    return new RelayBackups(db, { ...o, now: o.now ?? Date.now });
  }

  /** One piece from the broker; 'stored' when it completed a copy. Bad pieces are logged and dropped. */
  async chunk(hubId: string, raw: unknown): Promise<'stored' | 'partial' | 'duplicate' | 'rejected'> {
    const parsed = backupChunkSchema.safeParse(raw);
    if (!parsed.success || parsed.data.hub_id !== hubId || parsed.data.index >= parsed.data.count) {
      this.o.log.warn({ hub_id: hubId }, 'malformed backup piece ignored');
      return 'rejected';
    }
    const c = parsed.data;
    if (c.bytes > this.o.maxBytes) {
      this.o.log.warn({ hub_id: hubId, name: c.name, bytes: c.bytes }, 'backup copy larger than relay.backup_max_mb refused');
      return 'rejected';
    }
    const now = this.o.now();
    return this.db.tx(async (q) => {
      await q.lock(`backup:${hubId}`);
      if (await q.one('SELECT 1 AS x FROM backup_copies WHERE hub_id = $1 AND name = $2', [hubId, c.name])) return 'duplicate';
      await q.run('DELETE FROM backup_chunks WHERE hub_id = $1 AND received_at < $2', [hubId, now - STALE_MS]);
      const r = await q.run(
        'INSERT INTO backup_chunks (hub_id, name, idx, count, data, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hub_id, name, idx) DO NOTHING',
        [hubId, c.name, c.index, c.count, Buffer.from(c.data, 'base64'), now],
      );
      if (!r.changes) return 'duplicate';
      const have = (await q.one<{ n: number }>('SELECT COUNT(*) AS n FROM backup_chunks WHERE hub_id = $1 AND name = $2', [hubId, c.name]))!.n;
      if (have < c.count) return 'partial';
      const parts = await q.query<{ data: Buffer }>('SELECT data FROM backup_chunks WHERE hub_id = $1 AND name = $2 ORDER BY idx', [hubId, c.name]);
      await q.run('DELETE FROM backup_chunks WHERE hub_id = $1 AND name = $2', [hubId, c.name]);
      const blob = Buffer.concat(parts.map((p) => Buffer.from(p.data)));
      const sha = createHash('sha256').update(blob).digest('hex');
      if (blob.length !== c.bytes || sha !== c.sha256 || !sealedKdf(blob)) {
        this.o.log.error({ hub_id: hubId, name: c.name, bytes: blob.length, expected: c.bytes }, 'a backup copy did not match its hash; dropped');
        return 'rejected';
      }
      await q.run(
        'INSERT INTO backup_copies (hub_id, name, bytes, sha256, download_sha256, data, stored_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hub_id, name) DO NOTHING',
        [hubId, c.name, blob.length, sha, c.download_sha256, blob, now],
      );
      await q.run(
        'DELETE FROM backup_copies WHERE hub_id = $1 AND name NOT IN (SELECT name FROM backup_copies WHERE hub_id = $1 ORDER BY stored_at DESC, name DESC LIMIT $2)',
        [hubId, this.o.keep],
      );
      this.o.log.info({ hub_id: hubId, name: c.name, bytes: blob.length }, 'backup copy stored');
      return 'stored';
    });
  }

  /** The copies a download token opens, newest first. */
  async list(hubId: string, downloadSha256: string): Promise<BackupCopy[]> {
    const rows = await this.db.query<{ name: string; bytes: number; sha256: string; stored_at: number }>(
      'SELECT name, bytes, sha256, stored_at FROM backup_copies WHERE hub_id = $1 AND download_sha256 = $2 ORDER BY stored_at DESC, name DESC',
      [hubId, downloadSha256],
    );
    return rows.map((r) => ({ name: r.name, bytes: r.bytes, sha256: r.sha256, stored_at: new Date(r.stored_at).toISOString() }));
  }

  async get(hubId: string, name: string, downloadSha256: string): Promise<Buffer | undefined> {
    const row = await this.db.one<{ data: Buffer }>('SELECT data FROM backup_copies WHERE hub_id = $1 AND name = $2 AND download_sha256 = $3', [
      hubId,
      name,
      downloadSha256,
    ]);
    return row ? Buffer.from(row.data) : undefined;
  }

  /** The salt and scrypt parameters of the newest copy (not secret: they are in every backup's header). */
  async kdf(hubId: string): Promise<{ salt: string; log_n: number; r: number; p: number } | undefined> {
    const row = await this.db.one<{ head: Buffer }>('SELECT data AS head FROM backup_copies WHERE hub_id = $1 ORDER BY stored_at DESC, name DESC LIMIT 1', [
      hubId,
    ]);
    const k = row ? sealedKdf(Buffer.from(row.head)) : undefined;
    return k ? { salt: k.salt.toString('hex'), log_n: k.kdf.logN, r: k.kdf.r, p: k.kdf.p } : undefined;
  }
}
