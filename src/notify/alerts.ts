import type { EntityRegistry } from '../devices/registry.js';
import type { HubContext } from '../part/context.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import type { Entity } from '../devices/model.js';
import type { NotificationRouter } from './router.js';
import { stateWords } from '../intents/answer.js';
import { errorMessage } from '../core/errors.js';

/** The registry as the alerts read it (EntityRegistry fits). */
export type EntitySource = Pick<EntityRegistry, 'list' | 'get'>;

const DOOR_CLASSES = ['door', 'garage', 'garage_door', 'gate', 'opening'];

/** Doors and garages whose "left open" matters: covers of a door class, door contacts. */
export function isWatchedDoor(e: Entity): boolean {
  const dc = String(e.attributes.device_class ?? '');
  if (e.domain === 'cover') return DOOR_CLASSES.includes(dc) || /garage|door|gate/.test(e.id);
  if (e.domain === 'binary_sensor') return DOOR_CLASSES.includes(dc);
  return false;
}

const isOpen = (e: Entity): boolean => (e.domain === 'cover' ? e.state === 'open' || e.state === 'opening' : e.state === 'on');

/**
 * The hub's own alerts: a door or garage left open longer than notify.door_open_minutes, and a
 * device unreachable longer than notify.unavailable_minutes. Each alert has a subject; when the
 * condition ends, the alert is closed (unsent messages cancelled, sent ones edited).
 * Memory: one timestamp per entity that is open or unavailable right now.
 */
export class HomeAlerts implements Service {
  readonly name = 'notify-alerts';
  private readonly openSince = new Map<string, number>();
  private readonly downSince = new Map<string, number>();
  private readonly alerted = new Set<string>();
  private timer?: NodeJS.Timeout;
  private off: (() => void)[] = [];
  private healthOf?: () => Record<string, ComponentHealth>;
  private readonly badSince = new Map<string, number>();
  private lastHealthCheck = 0;

  constructor(
    private readonly ctx: HubContext,
    private readonly router: NotificationRouter,
    readonly entities?: EntitySource,
  ) {}

  /** The hub's component health (handed over once the hub exists); degraded parts become alerts. */
  useHealth(components: () => Record<string, ComponentHealth>): void {
    this.healthOf = components;
  }

  start(): void {
    this.off.push(this.ctx.bus.on('entity.state_changed', ({ entity }) => this.observe(entity)));
    this.off.push(this.ctx.bus.on('entity.removed', ({ id }) => this.forget(id)));
    for (const e of this.entities?.list() ?? []) this.observe(e);
    this.timer = setInterval(() => this.check(), this.ctx.settings.get().notify.tick_ms);
    this.timer.unref();
  }

  stop(): void {
    for (const off of this.off) off();
    this.off = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * An alert's write (or close) in the turn's group commit: a Zigbee coordinator that restarts
   * takes fifty devices away and brings them back at once, and a commit of its own for each
   * (an fsync on the event loop, ~10–30 ms on an SD card) stalled the hub for the whole burst.
   * Nobody waits for these; an alert that could not be written is logged and tried again on the
   * next check (`key`: its mark in `alerted`).
   */
  private later(write: Promise<unknown>, key?: string): void {
    write.catch((err: unknown) => {
      if (key) this.alerted.delete(key);
      this.ctx.log.warn({ part: 'notify', err: errorMessage(err) }, 'an alert could not be written');
    });
  }

  private forget(id: string): void {
    this.openSince.delete(id);
    this.downSince.delete(id);
  }

  observe(e: Entity): void {
    const now = this.ctx.clock.now();
    if (!e.available || e.state === 'unavailable') {
      if (!this.downSince.has(e.id)) this.downSince.set(e.id, now);
    } else if (this.downSince.delete(e.id) && this.alerted.delete(`unavailable:${e.id}`)) {
      this.later(this.router.closeLater(`alert:unavailable:${e.id}`, `${e.name} is back.`));
    }
    if (isWatchedDoor(e) && e.available) {
      if (isOpen(e)) {
        if (!this.openSince.has(e.id)) this.openSince.set(e.id, now);
      } else if (this.openSince.delete(e.id) && this.alerted.delete(`door:${e.id}`)) {
        this.later(this.router.closeLater(`alert:door_open:${e.id}`, `Closed now.`));
      }
    }
  }

  /** Called on the tick; public so a test can drive it with a manual clock. */
  check(): void {
    const now = this.ctx.clock.now();
    const s = this.ctx.settings.get().notify;
    for (const [id, since] of this.openSince) {
      if (now - since < s.door_open_minutes * 60_000 || this.alerted.has(`door:${id}`)) continue;
      const e = this.entities?.get(id);
      const name = e?.name ?? id;
      this.alerted.add(`door:${id}`);
      const minutes = Math.max(1, Math.round((now - since) / 60_000));
      this.later(
        this.router.notifyLater({
          kind: 'alert.door_open',
          severity: 'warning',
          text: `The ${lower(name)} has been open for ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          subject: `alert:door_open:${id}`,
          dedup_key: `door_open:${id}`,
          audience: { roles: s.alert_roles },
          actions:
            e?.domain === 'cover'
              ? [
                  { kind: 'action', label: 'Close it', action: { entity_id: id, operation: 'close_cover', params: {} } },
                  { kind: 'ack', label: 'Leave it' },
                ]
              : [{ kind: 'ack', label: 'OK' }],
        }),
        `door:${id}`,
      );
    }
    for (const [id, since] of this.downSince) {
      if (now - since < s.unavailable_minutes * 60_000 || this.alerted.has(`unavailable:${id}`)) continue;
      const e = this.entities?.get(id);
      this.alerted.add(`unavailable:${id}`);
      this.later(
        this.router.notifyLater({
          kind: 'alert.device_unavailable',
          severity: 'warning',
          text: `${e?.name ?? id} is ${e ? stateWords(e) : 'not responding'}.`,
          subject: `alert:unavailable:${id}`,
          dedup_key: `unavailable:${id}`,
          audience: { roles: s.alert_roles },
        }),
        `unavailable:${id}`,
      );
    }
    this.checkHealth(now, s.unavailable_minutes);
    if (this.alerted.size > 10_000) this.alerted.clear(); // bounded; at worst an alert repeats
  }

  /** A component degraded or down longer than notify.unavailable_minutes → the owners hear of it. */
  private checkHealth(now: number, minutes: number): void {
    if (!this.healthOf || now - this.lastHealthCheck < 2_000) return;
    this.lastHealthCheck = now;
    let components: Record<string, ComponentHealth>;
    try {
      components = this.healthOf();
    } catch {
      return;
    }
    for (const [name, c] of Object.entries(components)) {
      // The router cannot usefully tell anyone that the router is unwell.
      if (name === 'notify' || name.startsWith('notify-')) continue;
      const bad = c.status === 'degraded' || c.status === 'down';
      if (!bad) {
        if (this.badSince.delete(name) && this.alerted.delete(`health:${name}`)) this.later(this.router.closeLater(`alert:health:${name}`, 'Recovered.'));
        continue;
      }
      if (!this.badSince.has(name)) this.badSince.set(name, now);
      if (now - this.badSince.get(name)! < minutes * 60_000 || this.alerted.has(`health:${name}`)) continue;
      this.alerted.add(`health:${name}`);
      this.later(
        this.router.notifyLater({
          kind: 'alert.health',
          severity: c.status === 'down' ? 'urgent' : 'warning',
          text: `Hub health: ${name} is ${c.status} (${c.detail.slice(0, 300)}).`,
          subject: `alert:health:${name}`,
          dedup_key: `health:${name}`,
          audience: { roles: ['owner'] },
        }),
        `health:${name}`,
      );
    }
  }
}

const lower = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
