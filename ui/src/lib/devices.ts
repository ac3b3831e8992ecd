import { useCallback, useState } from 'preact/hooks';
import type { Entity } from '../api/types';

export type EntityList = Entity[] | { entities: Entity[] };
export const listOf = (d: EntityList | undefined): Entity[] => (!d ? [] : Array.isArray(d) ? d : d.entities);

/** The demo home's devices share one device identifier (src/devices/demo/devices.ts). */
export const isDemo = (e: Entity): boolean => e.device?.id === 'hearth_demo_home';

const SOURCE_WORDS: Record<string, string> = { mqtt: 'MQTT', homeassistant: 'Home Assistant' };
/** Where an entity comes from, in words: "Demo", "MQTT", "Home Assistant". */
export function sourceWords(e: Entity): string {
  if (isDemo(e)) return 'Demo';
  return SOURCE_WORDS[e.source] ?? e.source;
}

/** Replaces (or adds) one entity in a list, as the event stream reports it. */
export function replaceEntity(list: Entity[], entity: Entity): Entity[] {
  const i = list.findIndex((x) => x.id === entity.id);
  if (i < 0) return [...list, entity];
  const next = list.slice();
  next[i] = entity;
  return next;
}

/**
 * A member's favourite devices, on this browser (localStorage, keyed by member id). Favourites
 * are a view preference like "group by room": no server state, no API, no migration; the cost is
 * that a phone and a laptop each keep their own.
 */
export function useFavourites(memberId: string): { has: (id: string) => boolean; toggle: (id: string) => void; ids: string[] } {
  const key = `hearth.favourites.${memberId}`;
  const [ids, setIds] = useState<string[]>(() => {
    try {
      const v = JSON.parse(localStorage.getItem(key) ?? '[]') as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  });
  const toggle = useCallback(
    (id: string) =>
      setIds((prev) => {
        const next = prev.includes(id) ? prev.filter((x) => x !== id) : [...prev, id].slice(-100);
        localStorage.setItem(key, JSON.stringify(next));
        return next;
      }),
    [key],
  );
  return { has: (id) => ids.includes(id), toggle, ids };
}
