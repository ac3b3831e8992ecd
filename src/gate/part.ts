import { definePart } from '../part/define.js';
import { membersPart } from '../members/part.js';
import { devicesPart } from '../devices/part.js';
import { forAudit, redactEnvelope as redacted } from './redact.js';
import { visibleEnvelope } from './routes.js';
import { gateTables } from './tables.js';
import { createGatePart } from './index.js';
import { hubChangeGate } from './hub-changes.js';

/** Policy, the action gate, approval envelopes and the executor: the only way to the actuators. */
export const gatePart = definePart({
  name: 'gate',
  tables: gateTables,
  needs: { members: membersPart, devices: devicesPart },
  // Envelopes as they open, are decided and finish; outcomes; alerts. Who sees an envelope: as GET /approvals.
  events: {
    'approval.requested': { send: (e) => redacted(e), to: (who, e) => visibleEnvelope(who, e) },
    'approval.decided': { send: (p) => ({ envelope: redacted(p.envelope), decision: p.decision }), to: (who, p) => visibleEnvelope(who, p.envelope) },
    'approval.finished': { send: (e) => redacted(e), to: (who, e) => visibleEnvelope(who, e) },
    'action.executed': { send: (p) => ({ ...p, action: forAudit(p.action) }) },
    'gate.alert': { send: (p) => ({ ...p, envelope: redacted(p.envelope) }), to: (who, p) => visibleEnvelope(who, p.envelope) },
  },
  create: (ctx, { members, devices }) => {
    const part = createGatePart(ctx, { members: members.members, registry: devices.registry, adapters: devices.adapters });
    ctx.changes.bind(hubChangeGate(part.gate)); // the hub's own changes reach the gate from here on
    return part;
  },
});
