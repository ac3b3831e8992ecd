import type { Logger } from '../../core/logger.js';
import type { EntityRegistry } from '../registry.js';
import { HA_SOURCE, toEntityInput, type DeviceInfo } from './mapping.js';
import { haStateSchema, stateChangedEventSchema, type HaState, type StateChangedEvent } from './protocol.js';

/**
 * HA's states as registry entities. A snapshot (get_states) and the state_changed stream
 * meet here: while a snapshot is being loaded, events are held back and replayed after it,
 * skipping those older than what the snapshot already holds, so a change that HA sent
 * between its answer and the moment the answer is applied is never lost or undone.
 */
export class HaMirror {
  devices = new Map<string, DeviceInfo>();
  private held?: StateChangedEvent[];
  private readonly warnedIds = new Set<string>();

  constructor(
    private readonly registry: EntityRegistry,
    private readonly log: Logger,
  ) {}

  get count(): number {
    return this.registry.list({ source: HA_SOURCE }).length;
  }

  /** From now until the next snapshot (or `release`), events wait. */
  hold(): void {
    this.held ??= [];
  }

  /** Drops held events (the snapshot they waited for will not come). */
  release(): void {
    this.held = undefined;
  }

  get holding(): boolean {
    return this.held !== undefined;
  }

  /**
   * Applies a full get_states answer. Entities it lacks are removed, or, while HA is still
   * starting (`removeVanished` false), kept as unavailable. Then replays held events.
   */
  applySnapshot(states: unknown, removeVanished: boolean): void {
    if (!Array.isArray(states)) throw new Error('get_states did not return a list');
    const seen = new Map<string, number>();
    let bad = 0;
    for (const raw of states) {
      const parsed = haStateSchema.safeParse(raw);
      if (!parsed.success) {
        bad++;
        continue;
      }
      if (this.put(parsed.data)) seen.set(parsed.data.entity_id, timeOf(parsed.data.last_updated));
    }
    if (bad > 0) this.log.warn({ count: bad }, 'ignored state objects from Home Assistant that do not fit its protocol');
    for (const e of this.registry.list({ source: HA_SOURCE })) {
      if (seen.has(e.id)) continue;
      if (removeVanished) this.registry.remove(e.id);
      else this.registry.setAvailable(e.id, false);
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) {
      const { entity_id, new_state } = event.data;
      const snapshotAt = seen.get(entity_id);
      const eventAt = timeOf(new_state?.last_updated ?? event.time_fired);
      if (snapshotAt !== undefined && eventAt < snapshotAt) continue; // the snapshot is newer
      this.apply(event);
    }
  }

  /** A frame from the state_changed subscription. */
  onEvent(event: unknown): void {
    const parsed = stateChangedEventSchema.safeParse(event);
    if (!parsed.success) {
      this.log.debug('ignored an event from Home Assistant that is not a state_changed event');
      return;
    }
    if (this.held) this.held.push(parsed.data);
    else this.apply(parsed.data);
  }

  markAllUnavailable(): number {
    let marked = 0;
    for (const e of this.registry.list({ source: HA_SOURCE })) if (this.registry.setAvailable(e.id, false)) marked++;
    return marked;
  }

  private apply(event: StateChangedEvent): void {
    const { entity_id, new_state } = event.data;
    if (new_state === null) {
      if (this.registry.get(entity_id)?.source === HA_SOURCE) this.registry.remove(entity_id);
      return;
    }
    this.put(new_state);
  }

  /** Upserts one HA state; false when the id cannot be held or belongs to another source. */
  private put(state: HaState): boolean {
    const input = toEntityInput(state, this.devices.get(state.entity_id));
    if (!input) {
      this.warnOnce(state.entity_id, 'ignored a Home Assistant entity whose id the hub cannot hold');
      return false;
    }
    const existing = this.registry.get(input.id);
    if (existing && existing.source !== HA_SOURCE) {
      this.warnOnce(input.id, `ignored a Home Assistant entity whose id is taken by source ${existing.source}`);
      return false;
    }
    this.registry.upsert(input);
    return true;
  }

  private warnOnce(id: string, message: string): void {
    if (this.warnedIds.has(id) || this.warnedIds.size > 1000) return;
    this.warnedIds.add(id);
    this.log.warn({ entity_id: id.slice(0, 200) }, message);
  }
}

/** HA's ISO times in ms (microseconds dropped); unknown → -Infinity (never newer). */
function timeOf(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}
