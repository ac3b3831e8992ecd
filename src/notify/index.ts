import type { HubContext } from '../part/context.js';
import type { PartInstance } from '../part/define.js';
import type { Entity } from '../devices/model.js';
import { NotificationRouter } from './router.js';
import { HomeAlerts, type EntitySource } from './alerts.js';
import { ApprovalNotices } from './approvals.js';
import { UpdateReport } from './update-report.js';
import { notifyRoutes } from './routes.js';
import type { MemberDirectory } from './model.js';

export { notifyTables } from './tables.js';
export { NotificationRouter, type NotifyResult } from './router.js';
export * from './model.js';

export interface NotifyDeps {
  members: MemberDirectory;
  /** The entity registry, when the devices part runs: names in messages, open doors at start. */
  registry?: EntitySource;
}

export interface NotifyPart extends PartInstance {
  router: NotificationRouter;
  alerts: HomeAlerts;
}

/**
 * The notify part. Other parts send messages with `router.notify({kind, severity, text,
 * audience: {roles|members}, actions?, subject?, dedup_key?, escalate?})`; channels plug in
 * with `router.registerChannel()`.
 */
export function createNotifyPart(ctx: HubContext, deps: NotifyDeps): NotifyPart {
  const router = new NotificationRouter(ctx, deps.members);
  const lookup = (id: string): Entity | undefined => deps.registry?.get(id);
  const alerts = new HomeAlerts(ctx, router, deps.registry);
  return {
    name: 'notify',
    services: [router, new ApprovalNotices(ctx, router, deps.members, lookup), alerts, new UpdateReport(ctx, router)],
    routes: notifyRoutes(router),
    router,
    alerts,
    useHealth: (components) => alerts.useHealth(components),
  };
}
