import { definePart } from '../../part/define.js';
import { membersPart } from '../../members/part.js';
import { notifyPart } from '../../notify/part.js';
import { dialoguePart } from '../../dialogue/part.js';
import { telegramCheck } from './check.js';
import { telegramTables } from './tables.js';
import { createTelegramPart } from './index.js';

/** The grammY bot, a transport over the dialogue: pairing, the conversation, approvals by inline button. */
export const telegramPart = definePart({
  name: 'telegram',
  tables: telegramTables,
  needs: { members: membersPart, notify: notifyPart, dialogue: dialoguePart },
  checks: [telegramCheck],
  create: (ctx, { members, notify, dialogue }) => createTelegramPart(ctx, { members: members.members, router: notify.router, dialogue: dialogue.dialogue }),
});
