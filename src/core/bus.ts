import type { Logger } from './logger.js';

/**
 * The typed event bus. Parts add their events to `HubEvents` by declaration merging
 * (`declare module '../core/bus.js' { interface HubEvents { ... } }`), so a lower part
 * never imports a higher one to be told about it. Each listener is isolated: one that
 * throws is logged and the others still run (a lesson from Zigbee2MQTT).
 */
export interface HubEvents {
  'hub.started': { at: number };
  'hub.stopping': { at: number };
}

export type EventName = keyof HubEvents;
export type Listener<K extends EventName> = (payload: HubEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();

  constructor(private readonly log?: Logger) {}

  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  off<K extends EventName>(name: K, listener: Listener<K>): void {
    this.listeners.get(name)?.delete(listener as Listener<never>);
  }

  emit<K extends EventName>(name: K, payload: HubEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<K>)(payload);
      } catch (err) {
        this.log?.error({ err, event: name }, 'event listener failed');
      }
    }
  }

  listenerCount(name: EventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}
