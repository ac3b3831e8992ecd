import { definePart } from '../../part/define.js';
import { notifyPart } from '../../notify/part.js';
import { usagePart } from '../../usage/part.js';
import { twilioCheck } from './check.js';
import { twilioTables } from './tables.js';
import { createTwilioPart } from './index.js';

/** Twilio voice and SMS: the router's sms and voice channels, and the webhooks Twilio calls. */
export const twilioPart = definePart({
  name: 'twilio',
  tables: twilioTables,
  needs: { notify: notifyPart, usage: usagePart },
  checks: [twilioCheck],
  create: (ctx, { notify, usage }) => createTwilioPart(ctx, { router: notify.router, usage: usage.ledger }),
});
