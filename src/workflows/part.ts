import { definePart } from '../part/define.js';
import { membersPart } from '../members/part.js';
import { devicesPart } from '../devices/part.js';
import { gatePart } from '../gate/part.js';
import { notifyPart } from '../notify/part.js';
import { inferencePart } from '../inference/part.js';
import { workflowsTables } from './tables.js';
import { createWorkflowsPart } from './index.js';

/** Routines in YAML: triggers, conditions, durable runs; every effect through the gate. */
export const workflowsPart = definePart({
  name: 'workflows',
  tables: workflowsTables,
  needs: { members: membersPart, devices: devicesPart, gate: gatePart, notify: notifyPart, inference: inferencePart },
  create: (ctx, { members, devices, gate, notify, inference }) =>
    createWorkflowsPart(ctx, {
      gate: gate.gate,
      router: notify.router,
      entities: devices.registry,
      members: members.members,
      broker: devices.broker,
      // The morning brief and other llm steps: the model's one-line gist of the hub's facts when a
      // model is set up, above the facts themselves, so that a fact it leaves out is not lost.
      compose: async (req) => {
        const gist = await inference.summaries.sentence({ ...req, member_id: 'system' });
        return gist.by === 'model' ? { text: `${gist.text}\n\n${req.template}`, by: 'model' } : gist;
      },
    }),
});
