import { definePart } from '../part/define.js';
import { devicesPart } from '../devices/part.js';
import { usagePart } from '../usage/part.js';
import { createInferencePart } from './index.js';

/** The language model that proposes intents and words summaries; it never holds a device. */
export const inferencePart = definePart({
  name: 'inference',
  needs: { devices: devicesPart, usage: usagePart },
  create: (ctx, { devices, usage }) => createInferencePart(ctx, { registry: devices.registry, usage: usage.ledger }),
});
