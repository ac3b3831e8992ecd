import type { HubContext } from '../part/context.js';
import type { ComponentHealth } from '../core/lifecycle.js';
import { freeBytes } from '../store/database.js';
import type { PartInstance } from '../part/define.js';
import { LinkService } from './service.js';
import { HubReporter } from './reports.js';
import { BackupCopier } from './backup-copy.js';
import { SupportGrants, defineSupportChanges, supportRoutes } from './support.js';
import type { HubChanges } from '../core/hub-changes.js';
import { registerSupportMethods, SUPPORT_ENTITY, type DoctorLike } from './support-rpc.js';
import type { GatePort } from './gate-port.js';

export { linkTables } from './tables.js';
export type { GatePort } from './gate-port.js';

declare module '../core/bus.js' {
  interface HubEvents {
    /** A support maintenance step the owner approved; the part that owns `target` acts on it. */
    'support.maintenance': { operation: 'restart_service' | 'resync_connector'; target: string; engineer: string | null };
  }
}

export interface LinkPart extends PartInstance {
  link: LinkService;
  reports: HubReporter;
  backupCopy: BackupCopier;
  support: SupportGrants;
  /** The hub's component health, for support diagnostics (the hub hands it in once it exists). */
  useHealth(components: () => Record<string, ComponentHealth>): void;
}

export interface LinkDeps {
  /** The action gate: down commands and support maintenance go through it. */
  gate: GatePort;
  /** `hearth doctor`'s checks run in the hub, for support diagnostics (the hub hands them in). */
  diagnose?: () => Promise<DoctorLike[]>;
  /** Granting and revoking support sessions are hub changes through the gate. */
  changes: HubChanges;
}

export function createLinkPart(ctx: HubContext, deps: LinkDeps): LinkPart {
  const { gate } = deps;
  const support = new SupportGrants(ctx);
  const link = new LinkService(ctx, { gate, support });
  let health: () => Record<string, ComponentHealth> = () => ({ link: link.health() });
  const reports = new HubReporter(ctx, link, () => health());
  const backupCopy = new BackupCopier(ctx, link);

  if (link.rpc) {
    registerSupportMethods({ ctx, grants: support, rpc: link.rpc, gate, health: () => health(), doctor: () => doctorFor(ctx, deps.diagnose) });
  }
  registerSystemActions(ctx, link, gate);
  defineSupportChanges(support, deps.changes);

  return {
    name: 'link',
    services: [link, reports, backupCopy],
    routes: supportRoutes(ctx, support, deps.changes),
    link,
    reports,
    backupCopy,
    support,
    useHealth(components) {
      health = components;
    },
  };
}

function registerSystemActions(ctx: HubContext, link: LinkService, g: GatePort): void {
  const run =
    (operation: 'restart_service' | 'resync_connector') =>
    async (params: Record<string, unknown>): Promise<void> => {
      const target = String(params.target ?? '');
      // The link restarts itself; any other target is the business of the part that owns it.
      if (operation === 'restart_service' && target === 'link') link.restartConnection();
      else ctx.bus.emit('support.maintenance', { operation, target, engineer: typeof params.engineer === 'string' ? params.engineer : null });
    };
  g.registerSystemAction(SUPPORT_ENTITY, 'restart_service', {
    risk: 'medium',
    run: run('restart_service'),
    describe: (p) => `Restart the ${String(p.target)} service (asked by support engineer ${String(p.engineer ?? '?')})`,
  });
  g.registerSystemAction(SUPPORT_ENTITY, 'resync_connector', {
    risk: 'low',
    run: run('resync_connector'),
    describe: (p) => `Re-sync the ${String(p.target)} connector (asked by support engineer ${String(p.engineer ?? '?')})`,
  });
}

/** `hearth doctor`'s checks when that command is built in; a few of our own otherwise. */
async function doctorFor(ctx: HubContext, diagnose: LinkDeps['diagnose']): Promise<DoctorLike[]> {
  try {
    if (diagnose) return await diagnose();
  } catch {
    /* fall through to the minimal checks */
  }
  const out: DoctorLike[] = [];
  const quick = ctx.store.db.pragma('quick_check', { simple: true });
  out.push({ check: 'database', status: quick === 'ok' ? 'ok' : 'fail', detail: String(quick) });
  const verify = ctx.audit.verify();
  out.push({
    check: 'audit trail',
    status: verify.ok ? 'ok' : 'fail',
    detail: verify.ok ? `${verify.count} entries intact` : `broken at ${verify.broken.seq}: ${verify.broken.reason}`,
  });
  const free = freeBytes(ctx.dataDir);
  out.push({
    check: 'disk',
    status: free === undefined || free > 256 * 1024 * 1024 ? 'ok' : 'warn',
    detail: free === undefined ? 'unknown' : `${Math.round(free / 1024 / 1024)} MiB free`,
  });
  return out;
}
