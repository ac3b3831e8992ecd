/** Time behind an interface, so that expiry and retention can be tested without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock the tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

let lastMs = Number.NaN;
let lastIso = '';
/** ISO 8601 of a time; the last one is kept, as a busy turn formats the same millisecond many times. */
export const isoTime = (ms: number): string => (ms === lastMs ? lastIso : ((lastIso = new Date(ms).toISOString()), (lastMs = ms), lastIso));
