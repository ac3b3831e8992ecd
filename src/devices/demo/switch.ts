import type { HubContext } from '../../part/context.js';
import type { ComponentHealth, Service } from '../../core/lifecycle.js';
import type { LanBroker } from '../mqtt/broker.js';
import { DemoHome, forgetDemoHome } from './home.js';

/**
 * Runs the demo home while `hub.demo` is on, and turns it on or off when the owner changes the
 * setting, without a restart. Turned off, its retained discovery configs are cleared, so its
 * entities leave the registry; a hub started without it forgets them the same way.
 */
export class DemoSwitch implements Service {
  readonly name = 'devices.demo';
  readonly optional = true;
  readonly demo: DemoHome;
  private off?: () => void;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: HubContext,
    private readonly broker: LanBroker,
  ) {
    this.demo = new DemoHome(ctx, broker);
  }

  async start(): Promise<void> {
    this.off = this.ctx.bus.on('settings.changed', ({ settings, changed }) => {
      if (changed.some((k) => k === 'hub.demo' || k === 'hub')) void this.apply(settings.hub.demo);
    });
    await this.apply(this.ctx.settings.get().hub.demo);
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
    await this.queue;
    await this.demo.stop();
  }

  health(): ComponentHealth {
    return this.demo.isRunning ? { status: 'ok', detail: 'the demo home is on' } : { status: 'disabled', detail: 'the demo home is off (hub.demo)' };
  }

  /** One change at a time, in order: a quick off-on-off ends off. */
  private apply(on: boolean): Promise<void> {
    this.queue = this.queue
      .then(async () => {
        if (on && !this.demo.isRunning) await this.demo.start();
        else if (!on) {
          await this.demo.stop();
          await forgetDemoHome(this.broker);
        }
      })
      .catch((err: unknown) => this.ctx.log.warn({ err }, 'the demo home could not be switched'));
    return this.queue;
  }
}
