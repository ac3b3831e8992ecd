import type { HubContext } from '../../part/context.js';
import type { Service } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import type { LanBroker } from '../mqtt/broker.js';
import { DEMO_DEVICES, DEMO_NODE, DEMO_ROOT, type DemoDevice } from './devices.js';

export interface DemoOptions {
  /** How long the simulated hardware takes to obey a command. */
  delayMs?: number;
  /** Mean seconds between simulated motion in the hallway; 0 turns it off. */
  motionEverySeconds?: number;
}

/**
 * A simulated house. It speaks MQTT discovery to the embedded broker as a device would
 * (in-process, so it needs no password; its topics live under hearth/ so no LAN device can
 * pretend to be it), answers commands a moment later and reports the new state.
 */
export class DemoHome implements Service {
  readonly name = 'devices.demo';
  readonly optional = true;
  private readonly state = new Map<string, Record<string, unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe: (() => void)[] = [];
  private running = false;
  private readonly log: Logger;
  private readonly delayMs: number;
  private readonly motionEvery: number;

  constructor(
    ctx: HubContext,
    private readonly broker: LanBroker,
    options: DemoOptions = {},
  ) {
    this.log = ctx.log.child({ part: 'demo' });
    this.delayMs = options.delayMs ?? 300;
    this.motionEvery = options.motionEverySeconds ?? 45;
  }

  async start(): Promise<void> {
    this.running = true;
    for (const d of DEMO_DEVICES) if (!this.state.has(d.object)) this.state.set(d.object, { ...d.initial });
    this.unsubscribe.push(this.broker.subscribe(`${DEMO_ROOT}/+/set`, (m) => this.onCommand(m.topic, m.payload.toString('utf8'))));
    this.unsubscribe.push(this.broker.subscribe(`${DEMO_ROOT}/+/+/set`, (m) => this.onCommand(m.topic, m.payload.toString('utf8'))));
    // Devices republish their discovery when Home Assistant (here: the hub) comes online.
    this.unsubscribe.push(this.broker.subscribe('homeassistant/status', (m) => m.payload.toString() === 'online' && void this.announce()));
    await this.announce();
    this.scheduleMotion();
    this.scheduleDrift();
    this.log.info({ devices: DEMO_DEVICES.length }, 'demo home is running');
  }

  /** Whether it runs now (it can be turned on and off while the hub runs: hub.demo). */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Sets a demo sensor (back door, motion, leak) as its hardware would: the new state is
   * published on the broker and reaches the registry through discovery, like any device's.
   * False when the entity is not a settable demo sensor or the demo is off.
   */
  async setSensor(entityId: string, on: boolean): Promise<boolean> {
    const d = DEMO_DEVICES.find((x) => x.config.default_entity_id === entityId);
    if (!d?.settable || !this.running) return false;
    this.state.get(d.object)![d.settable] = on;
    await this.report(d);
    return true;
  }

  /** Ids of the demo's sensors that can be set by hand. */
  static settableIds(): string[] {
    return DEMO_DEVICES.filter((d) => d.settable).map((d) => String(d.config.default_entity_id));
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.broker.publish(`${DEMO_ROOT}/status`, 'offline', { retain: true }).catch(() => {});
  }

  private async announce(): Promise<void> {
    await this.broker.publish(`${DEMO_ROOT}/status`, 'online', { retain: true });
    for (const d of DEMO_DEVICES) {
      await this.broker.publish(`homeassistant/${d.component}/${DEMO_NODE}/${d.object}/config`, JSON.stringify(d.config), { retain: true });
      await this.report(d);
    }
  }

  private async report(d: DemoDevice): Promise<void> {
    if (!this.running) return;
    const s = this.state.get(d.object)!;
    for (const [topic, payload] of d.publish(s)) await this.broker.publish(topic, payload, { retain: true });
  }

  private onCommand(topic: string, payload: string): void {
    const object = topic.slice(DEMO_ROOT.length + 1).split('/')[0]!;
    const d = DEMO_DEVICES.find((x) => x.object === object);
    if (!d || !d.command) return;
    const s = this.state.get(object)!;
    const sub = topic.split('/').slice(3, -1).join('/');
    const steps = d.command(s, payload, sub);
    if (!steps) {
      this.log.info({ topic, payload }, 'demo device ignored a command it does not understand');
      return;
    }
    // Real hardware reports an intermediate state, then the result a moment later.
    steps.forEach((patch, i) => {
      const at = i < steps.length - 1 ? Math.round((this.delayMs * (i + 1)) / steps.length) : this.delayMs;
      this.after(at, () => {
        Object.assign(s, patch);
        void this.report(d);
      });
    });
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.running) fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private scheduleMotion(): void {
    if (this.motionEvery <= 0) return;
    const d = DEMO_DEVICES.find((x) => x.object === 'hallway_motion')!;
    const next = (0.5 + Math.random()) * this.motionEvery * 1000;
    this.after(next, () => {
      Object.assign(this.state.get(d.object)!, { motion: true });
      void this.report(d);
      this.after(10_000, () => {
        Object.assign(this.state.get(d.object)!, { motion: false });
        void this.report(d);
      });
      this.scheduleMotion();
    });
  }

  /** Temperatures drift slowly, the thermostat's room toward its target. */
  private scheduleDrift(): void {
    this.after(60_000, () => {
      const climate = this.state.get('thermostat')!;
      const current = Number(climate.current);
      const target = climate.mode === 'off' ? 17 : Number(climate.target);
      climate.current = Math.round((current + Math.sign(target - current) * 0.1) * 10) / 10;
      const outdoor = this.state.get('outdoor_temperature')!;
      outdoor.temperature = Math.round((Number(outdoor.temperature) + (Math.random() - 0.5) * 0.4) * 10) / 10;
      void this.report(DEMO_DEVICES.find((x) => x.object === 'thermostat')!);
      void this.report(DEMO_DEVICES.find((x) => x.object === 'outdoor_temperature')!);
      this.scheduleDrift();
    });
  }
}

/** Removes the demo's retained discovery configs, so a hub started without the demo forgets its entities. */
export async function forgetDemoHome(broker: LanBroker): Promise<void> {
  const retained = await broker.retained(`homeassistant/+/${DEMO_NODE}/+/config`);
  for (const m of retained) await broker.publish(m.topic, '', { retain: true });
}
