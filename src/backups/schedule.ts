/** Local wall-clock parts of `at` in `timezone`. */
function localParts(at: number, timezone: string): number[] {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  return [p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!];
}

/** How far `timezone` is ahead of UTC at `at`, in ms. */
function offsetAt(at: number, timezone: string): number {
  const [y, mo, d, h, mi, s] = localParts(at, timezone);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - Math.floor(at / 1000) * 1000;
}

/**
 * The first instant after `after` when the clock in `timezone` shows `hour`:00. Across a
 * daylight-saving change the offset of the target day is used, so the backup stays at its
 * local hour (an hour that does not exist that day falls an hour later).
 */
export function nextDailyAt(after: number, hour: number, timezone: string): number {
  const [y, mo, d] = localParts(after, timezone);
  for (let day = 0; day < 3; day++) {
    const wall = Date.UTC(y!, mo! - 1, d! + day, hour, 0, 0);
    const guess = wall - offsetAt(wall, timezone);
    const at = wall - offsetAt(guess, timezone);
    if (at > after) return at;
  }
  return after + 86_400_000; // unreachable: one of three days is always ahead
}
