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
import { MAINTENANCE_OPERATIONS, type MaintenanceOperation } from '../core/maintenance.js';
import { logsForSupport } from '../health/logbook.js';
import { isoTime } from '../core/clock.js';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { linkTables } from './tables.js';
export type { GatePort } from './gate-port.js';

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
  registerSystemActions(ctx, gate);
  defineDiagnosticsBundle(
    ctx,
    () => health(),
    () => doctorFor(ctx, deps.diagnose),
  );
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

/** What each maintenance step risks, and how the owner's approval card names it. */
const STEPS: Record<MaintenanceOperation, { risk: 'low' | 'medium'; words: (target: string) => string }> = {
  restart_service: { risk: 'medium', words: (t) => `Restart the ${t} service` },
  resync_connector: { risk: 'low', words: (t) => `Re-sync the ${t} connection` },
  reload_settings: { risk: 'low', words: () => 'Read the settings file again' },
  run_backup: { risk: 'low', words: () => 'Make a backup now' },
  collect_diagnostics: { risk: 'low', words: () => 'Collect a diagnostics bundle on the hub' },
};

/**
 * Each maintenance step is a `hub.support` system action: the owner approves it, then the part
 * that owns the target takes it (ctx.maintenance) and the outcome carries what it observed.
 */
function registerSystemActions(ctx: HubContext, g: GatePort): void {
  for (const operation of MAINTENANCE_OPERATIONS) {
    const step = STEPS[operation];
    g.registerSystemAction(SUPPORT_ENTITY, operation, {
      risk: step.risk,
      run: (params) => ctx.maintenance.run(operation, String(params.target ?? '')),
      describe: (p) => `${step.words(String(p.target))} (asked by support engineer ${String(p.engineer ?? '?')})`,
    });
  }
}

/** The bundle support's `collect_diagnostics` leaves in `<data>/diagnostics/` (the last three are kept). */
function defineDiagnosticsBundle(ctx: HubContext, health: () => Record<string, ComponentHealth>, doctor: () => Promise<DoctorLike[]>): void {
  ctx.maintenance.define('collect_diagnostics', 'hub', async () => {
    const dir = join(ctx.dataDir, 'diagnostics');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const logs = logsForSupport(ctx);
    const checks = await doctor();
    const bundle = { version: ctx.version, at: isoTime(ctx.clock.now()), health: health(), doctor: checks, logs, settings: ctx.settings.redacted() };
    const file = join(dir, `hearth-diagnostics-${isoTime(ctx.clock.now()).replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(bundle, null, 2), { mode: 0o600 });
    const old = readdirSync(dir)
      .filter((f) => f.startsWith('hearth-diagnostics-'))
      .sort();
    for (const f of old.slice(0, Math.max(0, old.length - 3))) rmSync(join(dir, f), { force: true });
    const size = statSync(file).size;
    return `wrote ${file} (${Math.ceil(size / 1024)} KiB): ${Object.keys(bundle.health).length} components, ${logs.entries.length} log lines, ${checks.length} checks`;
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
