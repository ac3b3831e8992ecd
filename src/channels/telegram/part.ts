import { definePart } from '../../part/define.js';
import { membersPart } from '../../members/part.js';
import { devicesPart } from '../../devices/part.js';
import { gatePart } from '../../gate/part.js';
import { notifyPart } from '../../notify/part.js';
import { telegramCheck } from './check.js';
import { telegramTables } from './tables.js';
import { createTelegramPart } from './index.js';

/** The grammY bot: pairing, conversation, approvals by inline button. */
export const telegramPart = definePart({
  name: 'telegram',
  tables: telegramTables,
  needs: { members: membersPart, notify: notifyPart, gate: gatePart, devices: devicesPart },
  checks: [telegramCheck],
  create: (ctx, { members, notify, gate, devices }) =>
    createTelegramPart(ctx, { members: members.members, router: notify.router, gate: gate.gate, registry: devices.registry }),
});
