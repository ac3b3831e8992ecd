import type { Entity } from '../devices/model.js';
import { wallClock, type Weekday } from '../core/local-time.js';
import { compile, freezeData, truthy, type Value } from './expr.js';
import type { Condition } from './schema.js';
import { resolveSelector } from './select.js';

/** What a condition may read; the registry as the workflows part sees it. */
export interface EntitySource {
  get(id: string): Entity | undefined;
  list(): Entity[];
}

/** The wall clock in the home's zone. */
export function localTime(ms: number, tz: string): { hour: number; minute: number; weekday: Weekday; date: string; hhmm: string } {
  const w = wallClock(ms, tz);
  const two = (n: number): string => String(n).padStart(2, '0');
  return { hour: w.hour, minute: w.minute, weekday: w.weekday, date: `${w.year}-${two(w.month)}-${two(w.day)}`, hhmm: `${two(w.hour)}:${two(w.minute)}` };
}

/** The scope's names built from the registry (one pass over every entity). */
const FROM_ENTITIES = ['states', 'attributes', 'available', 'home', 'someone_home', 'summary'];

/**
 * A frozen copy of plain data for expressions and templates: `states.<domain>.<object>` (the
 * state as text), `summary.<domain>` and `summary.<domain>_<device class>` (every
 * entity of that kind the owner has not hidden, as "Front door: locked, Back door: unlocked"), `attributes['<entity id>']`, `available`, `time` (hour, minute, weekday, date,
 * hhmm), `home` (names of people at home) and `someone_home`, `trigger`, and each earlier
 * step's `save_as` name at the top level. Nothing in it is live: no functions, no prototypes.
 */
export function snapshot(
  entities: EntitySource,
  now: number,
  tz: string,
  extra: { trigger?: unknown; vars?: Record<string, unknown> } = {},
  /** Only these top-level names are needed (an expression's `names`): the rest is left out, unbuilt. */
  names?: ReadonlySet<string>,
): Readonly<Record<string, Value>> {
  const states: Record<string, Record<string, string | null>> = {};
  const attributes: Record<string, unknown> = {};
  const available: Record<string, boolean> = {};
  const home: string[] = [];
  const summary: Record<string, string[]> = {};
  const needsEntities = !names || FROM_ENTITIES.some((n) => names.has(n));
  for (const e of needsEntities ? entities.list() : []) {
    const [domain, object] = e.id.split('.') as [string, string];
    if (!e.hidden) {
      const line = `${e.name}: ${e.state}`;
      (summary[domain] ??= []).push(line);
      const dc = e.attributes.device_class;
      if (typeof dc === 'string' && /^[a-z_]{1,40}$/.test(dc)) (summary[`${domain}_${dc}`] ??= []).push(line);
    }
    (states[domain] ??= {})[object] = e.state;
    attributes[e.id] = e.attributes;
    available[e.id] = e.available;
    if (domain === 'person' && e.state === 'home') home.push(e.name);
  }
  return freezeData({
    ...(extra.vars ?? {}),
    states,
    attributes,
    available,
    time: !names || names.has('time') ? localTime(now, tz) : null,
    home,
    someone_home: home.length > 0,
    summary: Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, v.sort().join(', ')])),
    trigger: extra.trigger ?? null,
  }) as Readonly<Record<string, Value>>;
}

/** Whether one condition holds. Errors in an expression count as "does not hold" and are reported. */
export function conditionHolds(
  c: Condition,
  ctx: { entities: EntitySource; now: number; tz: string; scope: (names?: ReadonlySet<string>) => Readonly<Record<string, Value>>; demo?: boolean },
): boolean {
  if ('time' in c) {
    const t = localTime(ctx.now, ctx.tz);
    if (c.time.weekday && !c.time.weekday.includes(t.weekday)) return false;
    const { after, before } = c.time;
    if (after && before) return after <= before ? t.hhmm >= after && t.hhmm < before : t.hhmm >= after || t.hhmm < before;
    if (after) return t.hhmm >= after;
    if (before) return t.hhmm < before;
    return true;
  }
  if ('state' in c) {
    const want = Array.isArray(c.is) ? c.is : [c.is];
    // A selection holds when any entity in it is in one of the states ("a garage door is open").
    const ids = typeof c.state === 'string' ? [c.state] : resolveSelector(c.state, ctx.entities.list(), ctx.demo ?? true);
    return ids.some((id) => {
      const state = ctx.entities.get(id)?.state ?? null;
      return state !== null && want.includes(state);
    });
  }
  const expr = compile(c.expr);
  return truthy(expr.evaluate(ctx.scope(expr.names)));
}
