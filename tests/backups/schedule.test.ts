import { describe, expect, it } from 'vitest';
import { nextDailyAt } from '../../src/backups/schedule.js';

const at = (iso: string) => Date.parse(iso);
const next = (after: string, hour: number, tz: string) => new Date(nextDailyAt(at(after), hour, tz)).toISOString();

describe('the daily backup hour, in the home time zone', () => {
  it('later today, or tomorrow once the hour has passed', () => {
    expect(next('2026-03-10T01:00:00Z', 3, 'Europe/Paris')).toBe('2026-03-10T02:00:00.000Z');
    expect(next('2026-03-10T02:00:00Z', 3, 'Europe/Paris')).toBe('2026-03-11T02:00:00.000Z');
    expect(next('2026-03-10T23:30:00Z', 0, 'UTC')).toBe('2026-03-11T00:00:00.000Z');
    // Past local midnight already (01:30 in Tokyo is 16:30 UTC the day before).
    expect(next('2026-03-10T16:30:00Z', 3, 'Asia/Tokyo')).toBe('2026-03-10T18:00:00.000Z');
  });

  it('stays at the local hour across daylight-saving changes', () => {
    // Paris goes to summer time on 29 March 2026: 03:00 local is 01:00 UTC from then on.
    expect(next('2026-03-28T03:00:00Z', 3, 'Europe/Paris')).toBe('2026-03-29T01:00:00.000Z');
    expect(next('2026-10-24T02:00:00Z', 3, 'Europe/Paris')).toBe('2026-10-25T02:00:00.000Z');
    expect(next('2026-07-01T12:00:00Z', 9, 'America/New_York')).toBe('2026-07-01T13:00:00.000Z'); // 08:00 EDT: later that day
  });
});
