import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../part/context.js';
import type { PartInstance } from '../part/define.js';
import { ActionGate, type GateDeps } from './gate.js';
import { gateRoutes } from './routes.js';
import { policyPreviewRoutes } from './preview.js';
import { GateMetrics } from './metrics.js';

export { gateTables } from './tables.js';
export { ActionGate, type GateDeps, type GateMembers } from './gate.js';
export { EnvelopeStore, envelopeDigest } from './store.js';
export { GATE_ERRORS, type GateErrorCode } from './errors.js';
export { evaluatePolicy, riskOf } from './policy.js';
export { hubChangeGate } from './hub-changes.js';
export * from './model.js';

export interface GatePart extends PartInstance {
  gate: ActionGate;
}

/** The action gate as a part: its metrics, the gate service (recovery at start, expiry sweeper) and its routes. */
export function createGatePart(ctx: HubContext, deps: GateDeps): GatePart {
  const gate = new ActionGate(ctx, deps);
  const preview = policyPreviewRoutes(gate, {
    now: () => ctx.clock.now(),
    timezone: () => ctx.settings.get().hub.timezone,
    role: (id) => deps.members.get(id)?.role,
  });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(gateRoutes(gate));
    await app.register(preview);
  };
  return { name: 'gate', services: [new GateMetrics(ctx), gate], routes, gate };
}
