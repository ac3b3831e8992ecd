import { DAYS, type Day } from './model.js';

/** The zone's offset from UTC at an instant, in ms (Intl, so DST is the zone's own). */
function offsetAt(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(ms / 1000) * 1000;
}

/** A wall-clock time in a zone as an instant; a time that does not exist (spring forward) moves on by the gap. */
export function zonedTime(y: number, m: number, d: number, hh: number, mm: number, timeZone: string): number {
  const wall = Date.UTC(y, m, d, hh, mm);
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  return t;
}

/**
 * The first check-in time strictly after `after`: times ("09:30") on the given days, in the
 * home's time zone. Undefined only when there is none within 8 days (no days at all).
 */
export function nextDue(times: string[], days: Day[] | undefined, timeZone: string, after: number): number | undefined {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short' });
  let best: number | undefined;
  for (let i = 0; i <= 8; i++) {
    const parts = fmt.formatToParts(new Date(after + i * 86_400_000));
    const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
    const weekday = get('weekday').toLowerCase().slice(0, 3) as Day;
    if (days && !days.includes(weekday)) continue;
    for (const t of times) {
      const at = zonedTime(Number(get('year')), Number(get('month')) - 1, Number(get('day')), Number(t.slice(0, 2)), Number(t.slice(3, 5)), timeZone);
      if (at > after && (best === undefined || at < best)) best = at;
    }
    if (best !== undefined && i >= 1) break;
  }
  return best;
}

export { DAYS };
