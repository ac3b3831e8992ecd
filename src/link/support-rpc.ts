import { z } from 'zod';
import type { HubContext } from '../part/context.js';
import { withTimeout, type ComponentHealth } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import type { RpcRequest } from './messages.js';
import { MAINTENANCE_OPERATIONS } from '../core/maintenance.js';
import type { RpcServer } from './rpc.js';
import type { GatePort } from './gate-port.js';
import { logsForSupport, supportLogQuerySchema } from '../health/logbook.js';
import { supportRefused, type SupportGrants, type SupportScope } from './support.js';
import { linkErrors } from './errors.js';

export interface DoctorLike {
  check: string;
  status: string;
  detail: string;
}

export interface SupportRpcDeps {
  ctx: HubContext;
  grants: SupportGrants;
  rpc: RpcServer;
  gate: GatePort;
  health: () => Record<string, ComponentHealth>;
  doctor: () => Promise<DoctorLike[]>;
}

/** What a maintenance step may ask for; each becomes a gate action the owner approves. */
export const maintenanceSchema = z.strictObject({
  operation: z.enum(MAINTENANCE_OPERATIONS),
  target: z.string().regex(/^[a-z0-9_.-]{1,64}$/),
  reason: z.string().max(500).optional(),
});

/** What a diagnostics request may narrow: the log book's lines by level, part and words. */
export const diagnosticsSchema = z.strictObject({ logs: supportLogQuerySchema.optional() });

export const SUPPORT_ENTITY = 'hub.support';

/**
 * The support tunnel's methods. Each checks the grant named in the request against the hub's
 * own table and clock, and audits what the engineer did (or was refused).
 */
export function registerSupportMethods(d: SupportRpcDeps): void {
  const { ctx } = d;
  const actorOf = (req: RpcRequest) => `support:${req.engineer?.id ?? 'unknown'}`;
  const admit = (req: RpcRequest, need: SupportScope) => {
    const verdict = d.grants.check(req.grant_id, req.engineer?.id, need);
    if (!verdict.ok) {
      ctx.audit.append({
        actor: actorOf(req),
        origin: 'support',
        kind: 'support.refused',
        subject: req.grant_id ?? null,
        data: { method: req.method, reason: verdict.reason, engineer: req.engineer ?? null },
      });
      throw supportRefused(verdict.reason);
    }
    return verdict.grant;
  };

  d.rpc.register('ping', () => ({ pong: true, at: ctx.clock.now() }));

  d.rpc.register('support.diagnostics', async (req) => {
    const grant = admit(req, 'diagnostics');
    const parsed = diagnosticsSchema.safeParse(req.params ?? {});
    if (!parsed.success) throw linkErrors.error('VALIDATION_FAILED', parsed.error.issues[0]?.message ?? 'bad diagnostics request');
    const filter = parsed.data;
    ctx.audit.append({ actor: actorOf(req), origin: 'support', kind: 'support.diagnostics', subject: grant.id, data: { engineer: req.engineer ?? null } });
    const doctor = await withTimeout(d.doctor(), 8000, 'doctor did not finish within 8 s').catch((err: unknown) => [
      { check: 'doctor', status: 'fail', detail: errorMessage(err) },
    ]);
    return {
      hub_id: d.rpc.hubId,
      version: ctx.version,
      uptime_s: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
      health: d.health(),
      // The log book's warnings and errors, filtered as asked, scrubbed of secrets and bounded.
      logs: logsForSupport(ctx, filter.logs),
      // Secrets replaced by [secret].
      settings: ctx.settings.redacted(),
      doctor,
    };
  });

  d.rpc.register('support.maintenance', async (req) => {
    const grant = admit(req, 'maintenance');
    const parsed = maintenanceSchema.safeParse(req.params);
    if (!parsed.success) throw linkErrors.error('VALIDATION_FAILED', parsed.error.issues[0]?.message ?? 'bad maintenance request');
    const step = parsed.data;
    ctx.audit.append({
      actor: actorOf(req),
      origin: 'support',
      kind: 'support.maintenance.requested',
      subject: grant.id,
      data: { engineer: req.engineer ?? null, operation: step.operation, target: step.target },
    });
    const outcome = await d.gate.request({
      action: { entity_id: SUPPORT_ENTITY, operation: step.operation, params: { target: step.target, engineer: req.engineer?.id ?? null, grant_id: grant.id } },
      origin: { member_id: null, channel: 'support', actor: req.engineer?.id },
      reason: step.reason ?? `support engineer ${req.engineer?.name ?? req.engineer?.id ?? ''} asks to ${step.operation.replace(/_/g, ' ')} ${step.target}`,
    });
    return { outcome };
  });
}
