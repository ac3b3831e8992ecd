import { fileURLToPath } from 'node:url';
import { EventBus } from '../core/bus.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { HubContext } from '../part/context.js';
import { ServiceManager, type ComponentHealth } from '../core/lifecycle.js';
import { createLogger, RecentLogs, type Logger } from '../core/logger.js';
import { SystemdNotifier } from '../core/systemd.js';
import { VERSION } from '../core/version.js';
import { EXIT, FatalError, errorMessage } from '../core/errors.js';
import { loadSettings, type LoadSettingsOptions } from '../config/load.js';
import { SettingsService } from '../config/service.js';
import { HubChanges } from '../core/hub-changes.js';
import { Maintenance } from '../core/maintenance.js';
import { SecretBox, sealBackupCopies, sealStoredSettings } from '../config/secret-box.js';
import Database from 'better-sqlite3';
import { Store, ensureDataDir } from '../store/database.js';
import { DataDirLock } from '../store/lock.js';
import { AuditTrail } from '../audit/trail.js';
import { buildHttpServer, HttpService } from '../http/server.js';
import { createMetricsRegistry } from '../http/metrics.js';
import { systemRoutes } from '../http/system-routes.js';
import { MdnsAnnouncer } from '../http/mdns.js';
import { allTables } from './parts.js';
import { createParts } from './create-parts.js';
import { defineHubMaintenance } from './maintenance.js';
import { resolve } from 'node:path';

export interface HubOptions extends LoadSettingsOptions {
  clock?: Clock;
  /** Where logs go; default stdout. */
  logDestination?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/** The database service: first to start, last to stop. */
class StoreService {
  readonly name = 'store';
  constructor(
    private readonly store: Store,
    private readonly lock: DataDirLock,
  ) {}
  start(): void {}
  stop(): void {
    this.store.close();
    this.lock.release();
  }
}

/**
 * The hub: settings → logger → lock → store → parts → HTTP, started in that order and
 * stopped in reverse.
 */
export class Hub {
  readonly services: ServiceManager;
  readonly ctx: HubContext;
  readonly http: HttpService;
  readonly systemd: SystemdNotifier;
  private stopping?: Promise<void>;

  private constructor(ctx: HubContext, services: ServiceManager, http: HttpService, systemd: SystemdNotifier) {
    this.ctx = ctx;
    this.services = services;
    this.http = http;
    this.systemd = systemd;
  }

  static async create(options: HubOptions = {}): Promise<Hub> {
    const env = options.env ?? process.env;
    const loaded = loadSettings({ ...options, env });
    const initial = loaded.settings;
    const recentLogs = new RecentLogs(500);
    const log: Logger = createLogger({
      level: initial.hub.log_level,
      format: initial.hub.log_format === 'auto' ? undefined : initial.hub.log_format,
      destination: options.logDestination,
      recent: recentLogs,
    });
    const dataDir = resolve(initial.hub.data_dir);
    const clock = options.clock ?? systemClock;
    const bus = new EventBus(log.child({ part: 'bus' }));
    const lock = new DataDirLock(dataDir);
    const store = openLocked(dataDir, lock, log);
    const audit = new AuditTrail(store.db, clock, bus);
    const secrets = SecretBox.open(dataDir, env);
    const sealedNow = sealStoredSettings(store.db, secrets);
    if (sealedNow.length > 0) {
      const copies = sealBackupCopies(dataDir, secrets, (path) => new Database(path, { fileMustExist: true }));
      audit.append({ actor: 'system', origin: 'system', kind: 'settings.secrets_sealed', data: { keys: sealedNow, backup_copies: copies.length } });
      log.info({ keys: sealedNow, backup_copies: copies.length }, 'sealed secrets that an older version stored in clear');
    }
    const settings = new SettingsService(
      store.db,
      loaded.base,
      bus,
      (change) =>
        audit.append({
          actor: change.by,
          origin: 'web',
          kind: 'settings.changed',
          data: { changed: change.changed, restart_required: change.restart_required },
        }),
      secrets,
    );
    const ctx: HubContext = {
      version: VERSION,
      startedAt: clock.now(),
      dataDir,
      log,
      recentLogs,
      bus,
      clock,
      store,
      audit,
      metrics: createMetricsRegistry(),
      settings,
      changes: new HubChanges(),
      maintenance: new Maintenance(),
      secrets,
    };

    const services = new ServiceManager({ log: log.child({ part: 'lifecycle' }) });
    const systemd = new SystemdNotifier(log.child({ part: 'systemd' }), env);
    services.add(new StoreService(store, lock));
    services.add(systemd);

    const { list: parts, authenticator } = createParts(ctx);
    for (const part of parts) for (const service of part.services ?? []) services.add(service);

    const components = (): Record<string, ComponentHealth> => {
      const all = services.health();
      if (!systemd.enabled) delete all.systemd;
      return all;
    };
    for (const part of parts) part.useHealth?.(components);
    const app = await buildHttpServer({
      ctx,
      authenticator,
      routes: [...parts.flatMap((p) => (p.routes ? [p.routes] : []))],
      rootRoutes: [systemRoutes(ctx, components), ...parts.flatMap((p) => (p.rootRoutes ? [p.rootRoutes] : []))],
      uiDir: fileURLToPath(new URL('../../ui/dist', import.meta.url)),
    });
    const http = new HttpService(app, initial.http.host, initial.http.port);
    services.add(http);
    services.add(new MdnsAnnouncer(ctx, http)); // after HTTP: it announces the port HTTP bound
    defineHubMaintenance(ctx, services, { ...options, env });
    return new Hub(ctx, services, http, systemd);
  }

  async start(): Promise<void> {
    this.ctx.audit.append({ actor: 'system', origin: 'system', kind: 'hub.starting', data: { version: this.ctx.version } });
    try {
      await this.services.start();
    } catch (err) {
      // A required service that cannot start (a port in use) is an operator's problem: one
      // clear line and exit 69, not a stack trace. The log keeps the stack for a real bug.
      if (err instanceof FatalError) throw err;
      this.ctx.log.error({ err }, 'hub failed to start');
      throw new FatalError(`the hub could not start: ${errorMessage(err)}`, EXIT.unavailable);
    }
    this.ctx.bus.emit('hub.started', { at: this.ctx.clock.now() });
    this.systemd.ready(`serving on ${this.http.url}`);
    this.ctx.log.info({ url: this.http.url, data: this.ctx.dataDir, version: this.ctx.version }, 'hearth is ready');
  }

  /** Idempotent: a second signal during shutdown waits for the first. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= (async () => {
      this.systemd.stopping();
      this.ctx.bus.emit('hub.stopping', { at: this.ctx.clock.now() });
      try {
        this.ctx.audit.append({ actor: 'system', origin: 'system', kind: 'hub.stopping', data: { reason } });
      } catch {
        /* the store may already be gone */
      }
      await this.services.stop();
      this.ctx.log.info('hearth stopped');
    })();
    return this.stopping;
  }
}

function openLocked(dataDir: string, lock: DataDirLock, log: Logger): Store {
  ensureDataDir(dataDir, 16 * 1024 * 1024);
  lock.acquire();
  try {
    return Store.open({ dataDir, log: log.child({ part: 'store' }), parts: allTables });
  } catch (err) {
    lock.release();
    throw err;
  }
}
