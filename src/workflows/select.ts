import { z } from 'zod';
import { domainSchema, type Entity } from '../devices/model.js';

/**
 * A selection of entities by what they are rather than by id: "every lock", "every door
 * sensor", "the lights in the Kitchen". A workflow (and a built-in pack) names a selection where
 * it means "all of a kind", so the same file works in the demo home and in a real one. It is
 * resolved against the live registry each time it is used.
 */
const text = z.string().min(1).max(100);
const oneOrMany = z.union([text, z.array(text).min(1).max(20)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const selectorSchema = z.strictObject({
  domain: domainSchema,
  device_class: oneOrMany.optional().describe('the device class the source gives (door, moisture, garage …); one or a list'),
  area: oneOrMany.optional().describe('the room, as the Devices page shows it; one or a list'),
});
export type Selector = z.output<typeof selectorSchema>;

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
/** Demo entity ids are `<domain>.demo_<object>`. */
export const isDemoEntity = (id: string): boolean => id.slice(id.indexOf('.') + 1).startsWith('demo_');

/**
 * Whether an entity is in a selection. Hidden entities are never selected (the owner hid them
 * from the home), nor the demo home's entities while the demo is off.
 */
export function selects(sel: Selector, e: Entity, demo: boolean): boolean {
  if (e.hidden || e.domain !== sel.domain) return false;
  if (!demo && isDemoEntity(e.id)) return false;
  if (sel.device_class) {
    const dc = e.attributes.device_class;
    if (typeof dc !== 'string' || !sel.device_class.some((c) => same(c, dc))) return false;
  }
  if (sel.area && (e.area === null || !sel.area.some((a) => same(a, e.area!)))) return false;
  return true;
}

/** The ids of every entity in the selection, in id order (a stable order for a run's steps). */
export function resolveSelector(sel: Selector, entities: Iterable<Entity>, demo: boolean): string[] {
  const ids: string[] = [];
  for (const e of entities) if (selects(sel, e, demo)) ids.push(e.id);
  return ids.sort();
}

/** The selection in words, for a run's timeline: "every lock", "every binary_sensor (door) in Kitchen". */
export function describeSelector(sel: Selector): string {
  const dc = sel.device_class ? ` (${sel.device_class.join(' or ')})` : '';
  const area = sel.area ? ` in ${sel.area.join(' or ')}` : '';
  return `every ${sel.domain}${dc}${area}`;
}
