import { definePart } from '../part/define.js';
import { membersTables } from './tables.js';
import { createMembersPart } from './index.js';

/** People, roles, sessions, tokens and first-run setup; the hub's `Authenticator`. */
export const membersPart = definePart({
  name: 'members',
  tables: membersTables,
  create: (ctx) => createMembersPart(ctx, { changes: ctx.changes }),
});
