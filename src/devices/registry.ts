import { randomBytes } from 'node:crypto';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import type { Entity, EntityInput, Domain } from './model.js';

declare module '../core/bus.js' {
  interface HubEvents {
    'entity.added': Entity;
    'entity.removed': { id: string; source: string };
    /** Any change of state, attributes or availability. */
    'entity.state_changed': { entity: Entity; old_state: string | null; old_available: boolean | null };
  }
}

export interface EntityFilter {
  domain?: Domain;
  source?: string;
}

/**
 * One model for every entity, whatever its source. It lives in memory (adapters re-announce
 * their entities on start: retained discovery, HA's get_states); history goes to the store.
 */
export class EntityRegistry {
  private readonly entities = new Map<string, Entity>();
  /** The owner's name and hidden flag, kept across re-announcements (an adapter always sends its own name). */
  private readonly custom = new Map<string, { name: string | null; hidden: boolean }>();
  /** Changes with every change to any entity; with `boot`, what an HTTP ETag of a list is made of. */
  private changes = 0;
  readonly boot = randomBytes(4).toString('hex');

  constructor(
    private readonly bus: EventBus,
    private readonly clock: Clock,
  ) {}

  get(id: string): Entity | undefined {
    return this.entities.get(id);
  }

  list(filter: EntityFilter = {}): Entity[] {
    const out: Entity[] = [];
    for (const e of this.entities.values()) {
      if (filter.domain && e.domain !== filter.domain) continue;
      if (filter.source && e.source !== filter.source) continue;
      out.push(e);
    }
    // Ids are ASCII (domain.object_id): a plain comparison sorts them the same as localeCompare, much faster.
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.entities.size;
  }

  /** A number that moves on every change to any entity (never back, within one run). */
  get revision(): number {
    return this.changes;
  }

  private put(entity: Entity): void {
    this.entities.set(entity.id, entity);
    this.changes++;
  }

  /** Adds or replaces an entity's description; a state change within it is reported as one. */
  upsert(input: EntityInput): Entity {
    const now = isoTime(this.clock.now());
    const prev = this.entities.get(input.id);
    const custom = this.custom.get(input.id);
    const entity: Entity = {
      attributes: {},
      available: true,
      device: null,
      warning: null,
      ...input,
      ...(custom?.name ? { name: custom.name, source_name: input.name } : {}),
      ...(custom?.hidden ? { hidden: true } : {}),
      area: input.area ?? prev?.area ?? null,
      aliases: input.aliases ?? prev?.aliases ?? [],
      last_changed: prev && prev.state === input.state ? prev.last_changed : now,
      last_updated: now,
    };
    this.put(entity);
    if (!prev) this.bus.emit('entity.added', entity);
    if (!prev || prev.state !== entity.state || prev.available !== entity.available || !sameAttributes(prev.attributes, entity.attributes)) {
      this.bus.emit('entity.state_changed', { entity, old_state: prev?.state ?? null, old_available: prev?.available ?? null });
    }
    return entity;
  }

  /** A new observed state; attributes given replace the old ones key by key. */
  setState(id: string, state: string, attributes?: Record<string, unknown>): Entity | undefined {
    const prev = this.entities.get(id);
    if (!prev) return undefined;
    const nextAttributes = attributes ? { ...prev.attributes, ...attributes } : prev.attributes;
    if (prev.state === state && sameAttributes(prev.attributes, nextAttributes)) return prev;
    const now = isoTime(this.clock.now());
    const entity: Entity = { ...prev, state, attributes: nextAttributes, last_updated: now, last_changed: prev.state === state ? prev.last_changed : now };
    this.put(entity);
    this.bus.emit('entity.state_changed', { entity, old_state: prev.state, old_available: prev.available });
    return entity;
  }

  setAvailable(id: string, available: boolean): Entity | undefined {
    const prev = this.entities.get(id);
    if (!prev || prev.available === available) return prev;
    const entity: Entity = { ...prev, available, last_updated: isoTime(this.clock.now()) };
    this.put(entity);
    this.bus.emit('entity.state_changed', { entity, old_state: prev.state, old_available: prev.available });
    return entity;
  }

  /** Owner-editable names people use; the intent parser matches on these. */
  setAliases(id: string, aliases: string[], area?: string | null): Entity | undefined {
    const prev = this.entities.get(id);
    if (!prev) return undefined;
    const entity: Entity = { ...prev, aliases, area: area === undefined ? prev.area : area };
    this.put(entity);
    return entity;
  }

  /** The owner's edits: aliases, room, their own name (null: the source's) and hidden from Home. */
  applyOverride(id: string, o: { aliases: string[]; area: string | null; name: string | null; hidden: boolean }): Entity | undefined {
    const prev = this.entities.get(id);
    if (!prev) return undefined;
    if (o.name || o.hidden) this.custom.set(id, { name: o.name, hidden: o.hidden });
    else this.custom.delete(id);
    const sourceName = prev.source_name ?? prev.name;
    const { source_name: _s, hidden: _h, ...rest } = prev;
    const entity: Entity = {
      ...rest,
      aliases: o.aliases,
      area: o.area,
      name: o.name ?? sourceName,
      ...(o.name ? { source_name: sourceName } : {}),
      ...(o.hidden ? { hidden: true } : {}),
    };
    this.put(entity);
    return entity;
  }

  remove(id: string): boolean {
    const prev = this.entities.get(id);
    if (!prev) return false;
    this.entities.delete(id);
    this.changes++;
    this.bus.emit('entity.removed', { id, source: prev.source });
    return true;
  }

  /** Drops every entity of a source (an adapter that stops or resyncs from scratch). */
  removeSource(source: string): void {
    for (const e of [...this.entities.values()]) if (e.source === source) this.remove(e.id);
  }
}

function sameAttributes(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}
