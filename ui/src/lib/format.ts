/** "in 4 min 10 s" / "expired": time left until an ISO time. */
export function timeLeft(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return '';
  if (ms <= 0) return 'expired';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s left`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}

/**
 * The one time format of the UI: the home's time zone (hub.timezone, set at sign-in) and the
 * device's locale for 24 h or 12 h. Every time shown goes through clock() or dateTime().
 */
let homeZone: string | undefined;
let formats: { clock: Intl.DateTimeFormat; date: Intl.DateTimeFormat; day: Intl.DateTimeFormat } | undefined;
export function setHomeTimeZone(timezone: string | undefined): void {
  if (timezone === homeZone && formats) return;
  homeZone = timezone;
  formats = undefined;
}
function fmt() {
  if (!formats) {
    const timeZone = homeZone;
    try {
      formats = {
        clock: new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', timeZone }),
        date: new Intl.DateTimeFormat([], { dateStyle: 'medium', timeStyle: 'short', timeZone }),
        day: new Intl.DateTimeFormat([], { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }),
      };
    } catch {
      homeZone = undefined; // an unknown zone: the device's own
      return fmt();
    }
  }
  return formats;
}

/** "16:43" (or "4:43 PM"), in the home's time zone. */
export function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : fmt().clock.format(d);
}

/** "4 Dec 2026, 16:43": the date too, for what is not from today. */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : fmt().date.format(d);
}

/** clock() for today's times, dateTime() for older ones (in the home's time zone). */
export function when(iso: string, now = Date.now()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return fmt().day.format(d) === fmt().day.format(new Date(now)) ? clock(iso) : dateTime(iso);
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(s)) return '';
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return `${m} min ${Math.floor(seconds % 60)} s`;
}

/** "light.kitchen_ceiling" → "Kitchen ceiling" when no name is known. */
export function humanize(id: string): string {
  const s = (id.split('.').pop() ?? id).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const roleWords: Record<string, string> = {
  owner: 'Owner',
  adult: 'Adult',
  child: 'Child',
  elder: 'Elder',
  guest: 'Guest',
  support: 'Support',
};

const ROLE_PLURALS: Record<string, string> = {
  owner: 'owners',
  adult: 'adults',
  child: 'children',
  elder: 'elders',
  guest: 'guests',
  support: 'support staff',
  system: 'automations',
};
/** "children", "owners": a role's people, with the right plural. */
export const rolePlural = (role: string): string => ROLE_PLURALS[role] ?? `${role}s`;

/** "1 approval", "2 approvals"; `one` spells out 1 ("one approval"). */
export function count(n: number, singular: string, plural = `${singular}s`, one = false): string {
  return n === 1 ? `${one ? 'one' : '1'} ${singular}` : `${n} ${plural}`;
}

export function listWords(items: string[], joiner = 'or'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${joiner} ${items[items.length - 1]}`;
}

export const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
