import { Counter } from 'prom-client';
import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';

/** Counters of the gate's outcomes for /metrics, fed by its own bus events. */
export class GateMetrics implements Service {
  readonly name = 'gate.metrics';
  private off: (() => void)[] = [];
  private readonly actions: Counter<'status' | 'path'>;
  private readonly approvals: Counter<'state'>;

  constructor(private readonly ctx: HubContext) {
    this.actions = new Counter({
      name: 'hearth_gate_actions_total',
      help: 'Actions the gate ran, by outcome (executed, unconfirmed, failed) and path (direct, approval, or hub: one of changes to the hub itself run without an envelope)',
      labelNames: ['status', 'path'] as const,
      registers: [ctx.metrics],
    });
    this.approvals = new Counter({
      name: 'hearth_gate_approvals_total',
      help: 'Approval envelopes by the state they reached (pending when opened, then their final state)',
      labelNames: ['state'] as const,
      registers: [ctx.metrics],
    });
  }

  start(): void {
    const bus = this.ctx.bus;
    this.off.push(
      bus.on('action.executed', (p) =>
        this.actions.inc({ status: p.outcome.status, path: p.envelope_id ? 'approval' : p.action.entity_id.startsWith('hub.') ? 'hub' : 'direct' }),
      ),
      bus.on('approval.requested', () => this.approvals.inc({ state: 'pending' })),
      bus.on('approval.finished', (e) => this.approvals.inc({ state: e.state })),
    );
  }

  stop(): void {
    for (const off of this.off) off();
    this.off = [];
  }
}
