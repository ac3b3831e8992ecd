import type { HubContext } from '../part/context.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import type { LinkService } from './service.js';

/** Alerts about the hub's own health go up; alerts about the home (doors, devices) stay home. */
const UP_KINDS = /^alert\.health(\.|$)/;

/**
 * What the relay learns of a hub's health (issue 16): each health alert the notification
 * router raises (self-watch: disk, memory, temperature, database, event loop; and any part
 * degraded too long) as an `alert` (never dropped by the outbox), and every
 * `link.telemetry_interval_s` a snapshot of the components as `telemetry` (the first to go
 * when the outbox is full). A support engineer with a grant reads them at the relay, and the
 * relay's notice to the owners when the hub is offline reads the last one.
 */
export class HubReporter implements Service {
  readonly name = 'link-reports';
  readonly optional = true;
  private timer?: NodeJS.Timeout;
  private off?: () => void;
  private sent = 0;

  constructor(
    private readonly ctx: HubContext,
    private readonly link: LinkService,
    private readonly components: () => Record<string, ComponentHealth>,
  ) {}

  start(): void {
    if (!this.link.enabled) return;
    this.off = this.ctx.bus.on('notification.created', (n) => {
      if (!UP_KINDS.test(n.kind)) return;
      this.link.enqueue('alert', n.kind, { kind: n.kind, severity: n.severity, text: n.text, subject: n.subject, raised_at: n.created_at });
    });
    const every = this.ctx.settings.get().link.telemetry_interval_s;
    if (every > 0) {
      this.timer = setInterval(() => this.snapshot(), every * 1000);
      this.timer.unref();
    }
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  health(): ComponentHealth {
    if (!this.link.enabled) return { status: 'disabled', detail: 'no cloud link' };
    return { status: 'ok', detail: `${this.sent} health snapshots queued for the relay` };
  }

  /** Queues one snapshot now; public so a test (or a maintenance step) need not wait. */
  snapshot(): string | undefined {
    let components: Record<string, ComponentHealth>;
    try {
      components = this.components();
    } catch {
      return undefined;
    }
    const out: Record<string, { status: string; detail: string }> = {};
    for (const [name, c] of Object.entries(components)) out[name] = { status: c.status, detail: c.detail.slice(0, 300) };
    const worst = Object.values(out).some((c) => c.status === 'down') ? 'down' : Object.values(out).some((c) => c.status === 'degraded') ? 'degraded' : 'ok';
    this.sent++;
    return this.link.enqueue('telemetry', 'health.snapshot', { status: worst, components: out, uptime_s: Math.round(process.uptime()) });
  }
}
