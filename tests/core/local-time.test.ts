import { describe, expect, it } from 'vitest';
import { offsetAt, wallClock, zonedTime } from '../../src/core/local-time.js';

describe('the wall clock in a time zone', () => {
  it('reads the local date, time and weekday of an instant', () => {
    // 2026-03-29 00:30 UTC is 01:30 in Berlin (still winter time), a Sunday.
    expect(wallClock(Date.UTC(2026, 2, 29, 0, 30), 'Europe/Berlin')).toEqual({
      year: 2026,
      month: 3,
      day: 29,
      hour: 1,
      minute: 30,
      second: 0,
      weekday: 'sun',
      dow: 0,
    });
    // Midnight is hour 0, not 24.
    expect(wallClock(Date.UTC(2026, 11, 31, 23, 0, 5), 'Europe/London')).toMatchObject({ year: 2026, month: 12, day: 31, hour: 23, second: 5 });
    expect(wallClock(Date.UTC(2027, 0, 1, 0, 0), 'UTC')).toMatchObject({ year: 2027, month: 1, day: 1, hour: 0, weekday: 'fri' });
  });

  it("follows each zone's daylight saving, north and south of the equator", () => {
    expect(offsetAt(Date.UTC(2026, 0, 15), 'Europe/Berlin')).toBe(3_600_000);
    expect(offsetAt(Date.UTC(2026, 6, 15), 'Europe/Berlin')).toBe(7_200_000);
    expect(offsetAt(Date.UTC(2026, 0, 15), 'Australia/Sydney')).toBe(11 * 3_600_000);
    expect(offsetAt(Date.UTC(2026, 6, 15), 'Australia/Sydney')).toBe(10 * 3_600_000);
  });

  it('turns a local time into an instant; a time skipped by spring forward moves on by the gap', () => {
    expect(zonedTime(2026, 6, 1, 9, 30, 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 1, 7, 30));
    // 02:30 does not exist in Berlin on 2026-03-29 (02:00 → 03:00): it is 03:30 local, 01:30 UTC.
    expect(zonedTime(2026, 2, 29, 2, 30, 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1, 30));
    // Day overflow carries into the next month, as Date.UTC does.
    expect(zonedTime(2026, 0, 32, 8, 0, 'UTC')).toBe(Date.UTC(2026, 1, 1, 8, 0));
    expect(() => wallClock(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});
