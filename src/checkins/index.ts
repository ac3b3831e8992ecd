import type { HubContext } from '../part/context.js';
import type { PartInstance } from '../part/define.js';
import type { MemberDirectory } from '../notify/model.js';
import type { NotificationRouter } from '../notify/router.js';
import type { TwilioPart } from '../channels/twilio/index.js';
import type { Summaries } from '../inference/summary.js';
import type { WorkflowsService } from '../workflows/index.js';
import { CheckinEngine } from './engine.js';
import { inboundHook } from './inbound.js';
import { checkinRoutes } from './routes.js';
import { RelayTelephonyLink } from './relay-link.js';
import type { LinkService } from '../link/service.js';

export { checkinsTables } from './tables.js';
export { CheckinEngine } from './engine.js';

export interface CheckinsPart extends PartInstance {
  engine: CheckinEngine;
}

/** Elders' check-in calls: schedules, attempts and their escalation; calls go out through the Twilio channel. */
export function createCheckinsPart(
  ctx: HubContext,
  deps: {
    twilio: TwilioPart;
    router: NotificationRouter;
    members: MemberDirectory;
    link: LinkService;
    summaries?: Summaries;
    workflows?: Pick<WorkflowsService, 'useCheckins'>;
  },
): CheckinsPart {
  const engine = new CheckinEngine(ctx, { phone: deps.twilio.phone, router: deps.router, members: deps.members, summaries: deps.summaries });
  deps.twilio.hooks.register('checkin', engine.hook);
  deps.workflows?.useCheckins({ start: (who, key) => engine.startFor(who, key) });
  deps.twilio.hooks.register('inbound', inboundHook(ctx, { engine, phone: deps.twilio.phone, members: deps.members, router: deps.router }));
  const relay = new RelayTelephonyLink(ctx, { link: deps.link, hooks: deps.twilio.hooks, engine, members: deps.members });
  return { name: 'checkins', services: [engine, relay], routes: checkinRoutes(ctx, engine, deps.members), engine };
}
