import type { HubContext } from '../part/context.js';
import type { PartInstance } from '../part/define.js';
import type { Service } from '../core/lifecycle.js';
import type { NotificationRouter, MemberDirectory } from '../notify/index.js';
import { UsageLedger, unitOf, type ThresholdCrossed } from './ledger.js';
import { usageRoutes } from './routes.js';

export { usageTables } from './tables.js';
export { UsageLedger, monthOf, type Reservation, type UsageKind, type UsageRow } from './ledger.js';

export interface UsageDeps {
  router?: Pick<NotificationRouter, 'notify'>;
  members?: MemberDirectory;
}

export interface UsagePart extends PartInstance {
  ledger: UsageLedger;
}

/** The plain sentence the owner reads when a member passes a share of a cap. */
export function thresholdText(t: ThresholdCrossed, name: string): string {
  const pct = Math.round(t.threshold * 100);
  const what = unitOf(t.kind);
  return pct >= 100
    ? `${name} has used all of this month's ${what} (${t.used} of ${t.cap}); further requests are refused until next month or a higher cap.`
    : `${name} has used ${pct} % of this month's ${what} (${t.used} of ${t.cap}).`;
}

/**
 * The usage part: counts what costs money or memory (model tokens now; call minutes and SMS
 * for telephony) per member and month, and holds the caps. Callers `reserve` before spending
 * and `settle` after; `record` counts what could not be reserved ahead.
 */
export function createUsagePart(ctx: HubContext, deps: UsageDeps = {}): UsagePart {
  const log = ctx.log.child({ part: 'usage' });
  const ledger = new UsageLedger(
    ctx.store.db,
    ctx.clock,
    () => ctx.settings.get(),
    (t) => {
      const name = deps.members?.get(t.member_id)?.display_name ?? (t.member_id === 'system' ? 'The hub itself' : t.member_id);
      log.info({ member_id: t.member_id, kind: t.kind, threshold: t.threshold }, 'usage threshold crossed');
      deps.router?.notify({
        kind: 'usage.threshold',
        severity: t.threshold >= 1 ? 'warning' : 'info',
        text: thresholdText(t, name),
        audience: { roles: ['owner'] },
        dedup_key: `usage:${t.member_id}:${t.kind}:${t.month}:${t.threshold}`,
      });
    },
  );
  const service: Service & { ledger: UsageLedger } = {
    name: 'usage',
    ledger,
    start: () => {
      const n = ledger.releaseStale();
      if (n > 0) log.warn({ count: n }, 'reservations left by an interrupted run were released');
      ledger.prune();
    },
    stop: () => undefined,
  };
  return { name: 'usage', services: [service], routes: usageRoutes(ledger, () => ctx.settings.get().hub.timezone), ledger };
}
