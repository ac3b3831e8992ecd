import { definePart } from '../part/define.js';
import { membersPart } from '../members/part.js';
import { notifyPart } from '../notify/part.js';
import { twilioPart } from '../channels/twilio/part.js';
import { inferencePart } from '../inference/part.js';
import { workflowsPart } from '../workflows/part.js';
import { linkPart } from '../link/part.js';
import { checkinsTables } from './tables.js';
import { createCheckinsPart } from './index.js';

/** Elders' daily check-in calls, their outcomes, and the family's escalation ladder. */
export const checkinsPart = definePart({
  name: 'checkins',
  tables: checkinsTables,
  needs: { members: membersPart, notify: notifyPart, twilio: twilioPart, inference: inferencePart, workflows: workflowsPart, link: linkPart },
  create: (ctx, { members, notify, twilio, inference, workflows, link }) =>
    createCheckinsPart(ctx, {
      twilio,
      router: notify.router,
      members: members.members,
      link: link.link,
      summaries: inference.summaries,
      workflows: workflows.workflows,
    }),
});
