import { definePart } from '../part/define.js';
import { gatePart } from '../gate/part.js';
import { linkCheck } from './check.js';
import { linkTables } from './tables.js';
import { createLinkPart } from './index.js';

/** The hub end of the cloud link: outbox, signed down commands, RPC, support grants. */
export const linkPart = definePart({
  name: 'link',
  tables: linkTables,
  needs: { gate: gatePart },
  checks: [linkCheck],
  create: (ctx, { gate }, hub) => createLinkPart(ctx, { gate: gate.gate, changes: ctx.changes, diagnose: () => hub.diagnose(3000) }),
});
