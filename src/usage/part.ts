import { definePart } from '../part/define.js';
import { membersPart } from '../members/part.js';
import { notifyPart } from '../notify/part.js';
import { usageTables } from './tables.js';
import { createUsagePart } from './index.js';

/** What costs money or memory, per member and month, with caps reserved before spending. */
export const usagePart = definePart({
  name: 'usage',
  tables: usageTables,
  needs: { members: membersPart, notify: notifyPart },
  create: (ctx, { members, notify }) => createUsagePart(ctx, { router: notify.router, members: members.members }),
});
