import { wallClock, zonedTime } from '../core/local-time.js';
import { DAYS, type Day } from './model.js';

/**
 * The first check-in time strictly after `after`: times ("09:30") on the given days, in the
 * home's time zone. Undefined only when there is none within 8 days (no days at all).
 */
export function nextDue(times: string[], days: Day[] | undefined, timeZone: string, after: number): number | undefined {
  let best: number | undefined;
  for (let i = 0; i <= 8; i++) {
    const w = wallClock(after + i * 86_400_000, timeZone);
    if (days && !days.includes(w.weekday)) continue;
    for (const t of times) {
      const at = zonedTime(w.year, w.month - 1, w.day, Number(t.slice(0, 2)), Number(t.slice(3, 5)), timeZone);
      if (at > after && (best === undefined || at < best)) best = at;
    }
    if (best !== undefined && i >= 1) break;
  }
  return best;
}

export { DAYS };
