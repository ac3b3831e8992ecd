import type { Db } from './db.js';
import { SecretBox } from '../config/secret-box.js';
import { fallbackRecordSchema, telephonyProfileSchema, type FallbackRecord, type TelephonyProfile } from '../link/telephony.js';

const KEEP_HOOKS_MS = 7 * 86_400_000;
/** Records a hub never came back for are kept this long, then dropped (with the hub gone for a month). */
const KEEP_RECORDS_MS = 30 * 86_400_000;

/**
 * The relay's telephony state behind a small asynchronous interface, on the relay's store (db.ts:
 * SQLite for one relay, PostgreSQL for many): each hub's synced profile (Twilio credentials,
 * elders' contacts, owners), webhook idempotency, pending fallback records, offline notices.
 * Portable SQL only.
 */
export interface TelephonyState {
  profile(hubId: string): Promise<{ profile: TelephonyProfile; digest: string } | undefined>;
  saveProfile(hubId: string, profile: TelephonyProfile, digest: string, now: number): Promise<void>;
  /** Claims a webhook by its keys: null when it is new (go on), or the answer given the first time ('' while that is not ready). */
  claimHook(hubId: string, keys: string[], now: number): Promise<string | null>;
  answerHook(hubId: string, keys: string[], twiml: string): Promise<void>;
  addRecord(hubId: string, record: FallbackRecord): Promise<void>;
  pendingRecords(hubId: string, limit?: number): Promise<FallbackRecord[]>;
  markDelivered(hubId: string, ids: string[], now: number): Promise<void>;
  hubsWithPending(): Promise<string[]>;
  /** The hub went offline at `since` (kept if already offline). */
  markOffline(hubId: string, since: number): Promise<void>;
  /** Offline since before `before` and not told yet: claims the notice (true for one relay only). */
  claimOfflineNotice(hubId: string, before: number, now: number): Promise<boolean>;
  offlineHubs(): Promise<{ hub_id: string; offline_since: number; noticed_at: number | null }[]>;
  /** The hub is back: forgets its offline row; true when the owners had been told (so say "back online"). */
  backOnline(hubId: string): Promise<boolean>;
  prune(now: number): Promise<void>;
}

/**
 * `sealKey`: profiles (they carry the hub's Twilio auth token) are stored sealed with it
 * (AES-256-GCM, the hub id as additional data), so a copy of the state file or a dump of the
 * shared PostgreSQL alone reveals no token. Relays of one group share the key (index.ts derives
 * it from relay.signing_key, which they share). A row that cannot be opened reads as no profile:
 * the relay pulls the hub's profile again at its next announcement.
 */
export async function openTelephonyState(db: Db, sealKey?: Buffer): Promise<TelephonyState> {
  const box = sealKey ? SecretBox.fromKey(sealKey) : undefined;
  const sealed = (hubId: string, doc: string): string => (box ? box.seal(`relay-telephony-profile:${hubId}`, doc) : doc);
  const opened = (hubId: string, doc: string): string | undefined => {
    if (!SecretBox.isSealed(doc)) return doc;
    try {
      return box?.unseal(`relay-telephony-profile:${hubId}`, doc);
    } catch {
      return undefined;
    }
  };
  await db.exec(`
    CREATE TABLE IF NOT EXISTS relay_twilio_profiles (hub_id TEXT PRIMARY KEY, doc TEXT NOT NULL, digest TEXT NOT NULL, updated_at BIGINT NOT NULL);
    CREATE TABLE IF NOT EXISTS relay_twilio_hooks (hub_id TEXT NOT NULL, key TEXT NOT NULL, response TEXT, at BIGINT NOT NULL, PRIMARY KEY (hub_id, key));
    CREATE INDEX IF NOT EXISTS relay_twilio_hooks_at ON relay_twilio_hooks (at);
    CREATE TABLE IF NOT EXISTS relay_fallback_records (id TEXT PRIMARY KEY, hub_id TEXT NOT NULL, doc TEXT NOT NULL, at BIGINT NOT NULL, delivered_at BIGINT);
    CREATE INDEX IF NOT EXISTS relay_fallback_records_hub ON relay_fallback_records (hub_id, delivered_at);
    CREATE TABLE IF NOT EXISTS relay_hub_offline (hub_id TEXT PRIMARY KEY, offline_since BIGINT NOT NULL, noticed_at BIGINT);
  `);
  return {
    async profile(hubId) {
      const row = await db.one<{ doc: string; digest: string }>('SELECT doc, digest FROM relay_twilio_profiles WHERE hub_id = $1', [hubId]);
      const doc = row && opened(hubId, row.doc);
      if (!row || doc === undefined) return undefined;
      const parsed = telephonyProfileSchema.safeParse(JSON.parse(doc));
      return parsed.success ? { profile: parsed.data, digest: row.digest } : undefined;
    },
    async saveProfile(hubId, profile, digest, now) {
      await db.run(
        `INSERT INTO relay_twilio_profiles (hub_id, doc, digest, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (hub_id) DO UPDATE SET doc = excluded.doc, digest = excluded.digest, updated_at = excluded.updated_at`,
        [hubId, sealed(hubId, JSON.stringify(profile)), digest, now],
      );
    },
    claimHook(hubId, keys, now) {
      return db.tx(async (q) => {
        await q.lock(`twilio-hook:${hubId}`);
        for (const key of keys) {
          const seen = await q.one<{ response: string | null }>('SELECT response FROM relay_twilio_hooks WHERE hub_id = $1 AND key = $2', [hubId, key]);
          if (seen) return seen.response ?? '';
        }
        for (const key of keys)
          await q.run('INSERT INTO relay_twilio_hooks (hub_id, key, response, at) VALUES ($1, $2, NULL, $3) ON CONFLICT DO NOTHING', [hubId, key, now]);
        return null;
      });
    },
    async answerHook(hubId, keys, twiml) {
      for (const key of keys) await db.run('UPDATE relay_twilio_hooks SET response = $1 WHERE hub_id = $2 AND key = $3', [twiml, hubId, key]);
    },
    async addRecord(hubId, record) {
      await db.run('INSERT INTO relay_fallback_records (id, hub_id, doc, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        record.id,
        hubId,
        JSON.stringify(record),
        record.at,
      ]);
    },
    async pendingRecords(hubId, limit = 100) {
      const rows = await db.query<{ doc: string }>('SELECT doc FROM relay_fallback_records WHERE hub_id = $1 AND delivered_at IS NULL ORDER BY at LIMIT $2', [
        hubId,
        limit,
      ]);
      return rows.flatMap((r) => {
        const parsed = fallbackRecordSchema.safeParse(JSON.parse(r.doc));
        return parsed.success ? [parsed.data] : [];
      });
    },
    async markDelivered(hubId, ids, now) {
      for (const id of ids) await db.run('UPDATE relay_fallback_records SET delivered_at = $1 WHERE id = $2 AND hub_id = $3', [now, id, hubId]);
    },
    async hubsWithPending() {
      return (await db.query<{ hub_id: string }>('SELECT DISTINCT hub_id FROM relay_fallback_records WHERE delivered_at IS NULL LIMIT 1000')).map(
        (r) => r.hub_id,
      );
    },
    async markOffline(hubId, since) {
      await db.run('INSERT INTO relay_hub_offline (hub_id, offline_since, noticed_at) VALUES ($1, $2, NULL) ON CONFLICT DO NOTHING', [hubId, since]);
    },
    async claimOfflineNotice(hubId, before, now) {
      const r = await db.run('UPDATE relay_hub_offline SET noticed_at = $1 WHERE hub_id = $2 AND noticed_at IS NULL AND offline_since <= $3', [
        now,
        hubId,
        before,
      ]);
      return r.changes === 1;
    },
    offlineHubs() {
      return db.query('SELECT hub_id, offline_since, noticed_at FROM relay_hub_offline');
    },
    async backOnline(hubId) {
      const rows = await db.query<{ noticed_at: number | null }>('DELETE FROM relay_hub_offline WHERE hub_id = $1 RETURNING noticed_at', [hubId]);
      return rows.some((r) => r.noticed_at !== null);
    },
    async prune(now) {
      await db.run('DELETE FROM relay_twilio_hooks WHERE at < $1', [now - KEEP_HOOKS_MS]);
      await db.run('DELETE FROM relay_fallback_records WHERE (delivered_at IS NOT NULL AND delivered_at < $1) OR at < $2', [
        now - KEEP_HOOKS_MS,
        now - KEEP_RECORDS_MS,
      ]);
    },
  };
}
