import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { wallClock } from '../core/local-time.js';
import { preferencesSchema, type Preferences } from './model.js';

/** Seconds since local midnight in a time zone (Intl, so DST is the zone's own). */
export function secondOfDay(ms: number, timeZone: string): number {
  const { hour, minute, second } = wallClock(ms, timeZone);
  return hour * 3600 + minute * 60 + second;
}

const toSecond = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;

/**
 * When quiet hours hold a message: the time they end, or undefined when it is not quiet now.
 * A window may cross midnight (22:00–07:00). Across a DST change the end may be off by the
 * shift for that one night; acceptable for "hold until morning".
 */
export function quietUntil(prefs: Preferences, now: number, timeZone: string): number | undefined {
  const q = prefs.quiet_hours;
  if (!q) return undefined;
  const start = toSecond(q.start);
  const end = toSecond(q.end);
  if (start === end) return undefined;
  const s = secondOfDay(now, timeZone);
  const inside = start < end ? s >= start && s < end : s >= start || s < end;
  if (!inside) return undefined;
  const wait = (end - s + 86_400) % 86_400;
  return now + wait * 1000;
}

/** Per-member preferences, stored as a validated JSON document. */
export class PreferenceStore {
  private readonly cache = new Map<string, Preferences>();
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  get(memberId: string): Preferences {
    const hit = this.cache.get(memberId);
    if (hit) return hit;
    const row = this.db.prepare('SELECT doc FROM notify_preferences WHERE member_id = ?').get(memberId) as { doc: string } | undefined;
    let prefs: Preferences;
    try {
      prefs = preferencesSchema.parse(row ? JSON.parse(row.doc) : {});
    } catch {
      prefs = preferencesSchema.parse({}); // a bad stored document must not stop notifications
    }
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(memberId, prefs);
    return prefs;
  }

  set(memberId: string, input: unknown): Preferences {
    const prefs = preferencesSchema.parse(input);
    this.db
      .prepare(
        'INSERT INTO notify_preferences (member_id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT(member_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at',
      )
      .run(memberId, JSON.stringify(prefs), this.clock.now());
    this.cache.set(memberId, prefs);
    return prefs;
  }
}
