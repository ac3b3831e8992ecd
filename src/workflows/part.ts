import { definePart } from '../part/define.js';
import { membersPart } from '../members/part.js';
import { devicesPart } from '../devices/part.js';
import { gatePart } from '../gate/part.js';
import { notifyPart } from '../notify/part.js';
import { workflowsTables } from './tables.js';
import { createWorkflowsPart } from './index.js';

/** Routines in YAML: triggers, conditions, durable runs; every effect through the gate. */
export const workflowsPart = definePart({
  name: 'workflows',
  tables: workflowsTables,
  needs: { members: membersPart, devices: devicesPart, gate: gatePart, notify: notifyPart },
  create: (ctx, { members, devices, gate, notify }) =>
    createWorkflowsPart(ctx, { gate: gate.gate, router: notify.router, entities: devices.registry, members: members.members, broker: devices.broker }),
});
