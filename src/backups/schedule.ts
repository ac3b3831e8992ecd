import { wallClock, zonedTime } from '../core/local-time.js';

/**
 * The first instant after `after` when the clock in `timezone` shows `hour`:00. Across a
 * daylight-saving change the offset of the target day is used, so the backup stays at its
 * local hour (an hour that does not exist that day falls an hour later).
 */
export function nextDailyAt(after: number, hour: number, timezone: string): number {
  const w = wallClock(after, timezone);
  for (let day = 0; day < 3; day++) {
    const at = zonedTime(w.year, w.month - 1, w.day + day, hour, 0, timezone);
    if (at > after) return at;
  }
  return after + 86_400_000; // unreachable: one of three days is always ahead
}
