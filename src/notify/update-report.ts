import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import { readUpdateRecord, writeUpdateRecord } from '../core/update-record.js';
import type { NotificationRouter } from './router.js';

/**
 * What `hearth update` left for the hub that starts (`<data>/update.json`): a release that
 * starts after a switch audits its install; the release brought back after a rollback tells
 * the owners why, once. (The updater audits the start and the rollback itself while the hub is
 * stopped.)
 */
export class UpdateReport implements Service {
  readonly name = 'update-report';
  readonly optional = true;

  constructor(
    private readonly ctx: HubContext,
    private readonly router: NotificationRouter,
  ) {}

  start(): void {
    const record = readUpdateRecord(this.ctx.dataDir);
    if (!record || record.announced) return;
    if (record.state === 'switching' && record.to === this.ctx.version) {
      this.ctx.audit.append({
        actor: 'system',
        origin: 'system',
        kind: 'hub.update.installed',
        subject: record.id,
        data: { from: record.from, to: record.to },
      });
      writeUpdateRecord(this.ctx.dataDir, { ...record, announced: true });
    } else if ((record.state === 'rolled_back' || record.state === 'rollback_failed') && record.from === this.ctx.version) {
      this.router.notify({
        kind: 'hub.update_rolled_back',
        severity: 'warning',
        text: `The update to Hearth ${record.to} did not work, so the hub went back to ${record.from} with its data as it was before. Nothing else changed. Why: ${record.reason ?? 'unknown'}`.slice(
          0,
          3500,
        ),
        subject: `update:${record.id}`,
        dedup_key: `update:${record.id}`,
        audience: { roles: ['owner'] },
      });
      writeUpdateRecord(this.ctx.dataDir, { ...record, announced: true });
    }
  }

  stop(): void {}
}
