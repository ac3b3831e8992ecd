import { definePart } from '../part/define.js';
import { membersPart } from '../members/part.js';
import { devicesPart } from '../devices/part.js';
import { gatePart } from '../gate/part.js';
import { notifyPart } from '../notify/part.js';
import { inferencePart } from '../inference/part.js';
import { createDialoguePart } from './index.js';

/** The conversation every channel carries (text → intent → gate requests), and POST /api/v1/say. */
export const dialoguePart = definePart({
  name: 'dialogue',
  needs: { members: membersPart, gate: gatePart, devices: devicesPart, notify: notifyPart, inference: inferencePart },
  // The language model is the dialogue's second reader, asked only when the rules give up.
  create: (ctx, { members, gate, devices, notify, inference }) =>
    createDialoguePart(ctx, { members: members.members, gate: gate.gate, registry: devices.registry, router: notify.router, resolver: inference.resolver }),
});
