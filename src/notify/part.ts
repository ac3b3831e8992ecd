import { definePart } from '../part/define.js';
import { membersPart } from '../members/part.js';
import { devicesPart } from '../devices/part.js';
import { notifyTables } from './tables.js';
import { createNotifyPart } from './index.js';

/** The notification router: outbox, preferences, quiet hours, escalation, the hub's alerts. */
export const notifyPart = definePart({
  name: 'notify',
  tables: notifyTables,
  needs: { members: membersPart, devices: devicesPart },
  events: {
    // What was sent to whom (the web UI shows a bell); what it says is for its recipients.
    'notification.created': { send: (p) => p, to: (who, p) => p.member_ids.includes(who.member_id) },
    'notification.acknowledged': { send: (p) => p },
  },
  create: (ctx, { members, devices }) => createNotifyPart(ctx, { members: members.members, registry: devices.registry }),
});
