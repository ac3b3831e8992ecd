import cron from 'node-cron';
import { wallClock } from '../core/local-time.js';

/**
 * Cron expressions (node-cron's five-field syntax: minute hour day-of-month month weekday) and
 * the next time one is due in a time zone, computed here rather than by node-cron, because the
 * engine stores every next due time and must get the daylight-saving days right:
 *
 * - a fixed-time job whose wall time does not exist (02:30 on the spring-forward day) runs at
 *   the first minute after the gap (03:00) — node-cron 4.6 skips it;
 * - a fixed-time job whose wall time happens twice (01:30 on the fall-back day) runs once, the
 *   first time;
 * - a job with a wildcard or stepped hour (`*\/15 * * * *`) follows real minutes: every minute
 *   of the repeated hour is a real minute, and nothing in the gap is owed.
 *
 * This is Vixie cron's rule, and what people expect of "every day at 02:30".
 */

interface Field {
  values: Set<number>;
  star: boolean;
}
export interface CronSpec {
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
  /** A fixed hour: DST gaps are caught up and repeats skipped. */
  fixedHour: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseField(text: string, min: number, max: number, names?: string[]): Field {
  const values = new Set<number>();
  const name = (s: string): number => {
    const i = names?.indexOf(s.toLowerCase().slice(0, 3)) ?? -1;
    if (i >= 0 && /^[a-z]+$/i.test(s)) return i + (names === MONTHS ? 1 : 0);
    if (!/^\d+$/.test(s)) throw new Error(`"${s}" is not a number`);
    return Number(s);
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`"${part}" has a bad step`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [lo, hi] = [name(a), name(b)];
    } else {
      lo = name(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`"${part}" is outside ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star: text === '*' };
}

export function parseCron(expression: string): CronSpec {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error('expected five fields: minute hour day-of-month month weekday');
  const [mi, h, dom, mo, dow] = parts as [string, string, string, string, string];
  const dowField = parseField(dow, 0, 7, DAYS);
  if (dowField.values.has(7)) dowField.values.add(0);
  return {
    minute: parseField(mi, 0, 59),
    hour: parseField(h, 0, 23),
    dom: parseField(dom, 1, 31),
    month: parseField(mo, 1, 12, MONTHS),
    dow: dowField,
    fixedHour: !h.includes('*') && !h.includes('/'),
  };
}

/** The problem with an expression, in words, or undefined when node-cron and we both accept it. */
export function validCron(expression: string): string | undefined {
  try {
    parseCron(expression);
  } catch (err) {
    return `cron "${expression}": ${(err as Error).message}`;
  }
  return cron.validate(expression) ? undefined : `cron "${expression}" is not valid node-cron syntax`;
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  dow: number;
}
function wall(ms: number, tz: string): Wall {
  const w = wallClock(ms, tz);
  return { y: w.year, mo: w.month, d: w.day, h: w.hour, mi: w.minute, dow: w.dow };
}
/** Minutes since the epoch of a wall time read as if it were UTC: a monotone key for wall times. */
const wallKey = (w: Wall): number => Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi) / 60_000;

function dayMatches(spec: CronSpec, w: Wall): boolean {
  if (!spec.month.values.has(w.mo)) return false;
  const dom = spec.dom.values.has(w.d);
  const dow = spec.dow.values.has(w.dow);
  if (spec.dom.star || spec.dow.star) return (spec.dom.star || dom) && (spec.dow.star || dow);
  return dom || dow;
}
function matches(spec: CronSpec, w: Wall): boolean {
  return spec.minute.values.has(w.mi) && spec.hour.values.has(w.h) && dayMatches(spec, w);
}
function fromKey(key: number): Wall {
  const d = new Date(key * 60_000);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), dow: d.getUTCDay() };
}

const MINUTE = 60_000;
const MAX_SCAN_MINUTES = 366 * 24 * 60 * 5;

/** The first instant strictly after `afterMs` at which the job is due, in the zone `tz`. */
export function nextCron(spec: CronSpec, afterMs: number, tz: string): number | undefined {
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  let prev = wall(t - MINUTE, tz);
  for (let scanned = 0; scanned < MAX_SCAN_MINUTES;) {
    const w = wall(t, tz);
    const gap = wallKey(w) - wallKey(prev);
    if (spec.fixedHour && gap > 1) {
      // Wall minutes skipped by a clock change: a fixed-time job there runs now.
      for (let k = wallKey(prev) + 1; k < wallKey(w); k++) if (matches(spec, fromKey(k))) return t;
    }
    if (matches(spec, w) && !(spec.fixedHour && repeated(w, t, tz))) return t;
    // Skip ahead to the next wall hour when this hour cannot match.
    const step = spec.hour.values.has(w.h) && dayMatches(spec, w) ? 1 : 60 - w.mi;
    prev = step === 1 ? w : wall(t + (step - 1) * MINUTE, tz);
    t += step * MINUTE;
    scanned += step;
  }
  return undefined;
}

/** A wall time the clock already showed earlier (the hour repeated when clocks go back). */
function repeated(w: Wall, t: number, tz: string): boolean {
  const key = wallKey(w);
  for (const back of [30, 60, 120]) if (wallKey(wall(t - back * MINUTE, tz)) === key) return true;
  return false;
}
