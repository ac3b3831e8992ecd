/**
 * The wall clock in a time zone, through Intl (so DST is the zone's own rules). One formatter
 * per zone, kept: building an Intl.DateTimeFormat costs about a millisecond, and workflows,
 * cron slots and check-in schedules ask the time of the home's zone on every trigger and tick.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WallClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: Weekday;
  /** 0 (Sunday) – 6, as cron counts. */
  dow: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_ZONES = 16;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    if (formatters.size < MAX_ZONES) formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock at instant `ms` in `timeZone` (an IANA name; throws RangeError for an unknown one). */
export function wallClock(ms: number, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(ms)) parts[p.type] = p.value;
  const dow = WEEKDAYS.indexOf(parts.weekday!.toLowerCase().slice(0, 3) as Weekday);
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[dow]!,
    dow,
  };
}

/** The zone's offset from UTC at an instant, in ms. */
export function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** A wall-clock time in a zone as an instant (`month` 0–11); a time that does not exist (spring forward) moves on by the gap. */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month, day, hour, minute);
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  return t;
}
