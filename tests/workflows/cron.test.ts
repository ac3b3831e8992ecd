import { describe, expect, it } from 'vitest';
import { nextCron, parseCron, validCron } from '../../src/workflows/cron.js';

/** Every due time of `expr` from `from` to `to`, as wall times in `tz` with their UTC instant. */
function dues(expr: string, tz: string, from: number, to: number): string[] {
  const spec = parseCron(expr);
  const out: string[] = [];
  for (let t = nextCron(spec, from, tz); t !== undefined && t < to; t = nextCron(spec, t, tz)) {
    out.push(`${new Date(t).toLocaleString('sv-SE', { timeZone: tz })} (${new Date(t).toISOString().slice(0, 16)}Z)`);
  }
  return out;
}
const day = 86_400_000;

// Eight transitions: two zones north of the equator and two south, each springing forward and falling back.
const transitions = [
  { tz: 'Europe/Berlin', kind: 'spring', day: Date.UTC(2026, 2, 29), gapJob: '30 2 * * *', gapRunsAt: '2026-03-29 03:00:00' },
  { tz: 'Europe/Berlin', kind: 'fall', day: Date.UTC(2026, 9, 25), repeatJob: '30 2 * * *' },
  { tz: 'America/New_York', kind: 'spring', day: Date.UTC(2026, 2, 8), gapJob: '30 2 * * *', gapRunsAt: '2026-03-08 03:00:00' },
  { tz: 'America/New_York', kind: 'fall', day: Date.UTC(2026, 10, 1), repeatJob: '30 1 * * *' },
  { tz: 'Australia/Sydney', kind: 'spring', day: Date.UTC(2026, 9, 4), gapJob: '30 2 * * *', gapRunsAt: '2026-10-04 03:00:00' },
  { tz: 'Australia/Sydney', kind: 'fall', day: Date.UTC(2026, 3, 5), repeatJob: '30 2 * * *' },
  // Chile changes at midnight: 00:00-00:59 does not exist in September and repeats in April.
  { tz: 'America/Santiago', kind: 'spring', day: Date.UTC(2026, 8, 6), gapJob: '30 0 * * *', gapRunsAt: '2026-09-06 01:00:00' },
  { tz: 'America/Santiago', kind: 'fall', day: Date.UTC(2026, 3, 5), repeatJob: '30 23 * * *' },
];

describe('cron next due times across daylight-saving changes', () => {
  for (const t of transitions) {
    it(`${t.tz} ${t.kind}: a daily job runs exactly once on each of the days around the change`, () => {
      const job = t.gapJob ?? t.repeatJob!;
      const list = dues(job, t.tz, t.day - 3 * day, t.day + 3 * day);
      const dates = list.map((s) => s.slice(0, 10));
      expect(new Set(dates).size).toBe(dates.length); // never twice on one day
      expect(list).toHaveLength(6); // never lost: six days, six runs
      if (t.gapRunsAt) expect(list.some((s) => s.startsWith(t.gapRunsAt))).toBe(true);
    });
    it(`${t.tz} ${t.kind}: an every-30-minutes job follows real time (no gap owed, repeated hour counted)`, () => {
      const list = dues('*/30 * * * *', t.tz, t.day - day, t.day + 2 * day);
      const instants = list.map((s) => Date.parse(s.slice(-18, -2) + ':00Z'));
      for (let i = 1; i < instants.length; i++) expect(instants[i]! - instants[i - 1]!).toBe(30 * 60_000);
    });
  }

  it('weekdays, lists and names', () => {
    const list = dues('30 6 * * mon-fri', 'UTC', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 15));
    expect(list.map((s) => s.slice(0, 10))).toEqual([
      '2026-01-01',
      '2026-01-02',
      '2026-01-05',
      '2026-01-06',
      '2026-01-07',
      '2026-01-08',
      '2026-01-09',
      '2026-01-12',
      '2026-01-13',
      '2026-01-14',
    ]);
  });

  it('refuses what it cannot read, in words', () => {
    expect(validCron('61 * * * *')).toMatch(/outside 0-59/);
    expect(validCron('* * *')).toMatch(/five fields/);
    expect(validCron('0 7 * * 1-5')).toBeUndefined();
  });
});
