import type { HubContext } from '../part/context.js';
import type { ServiceManager } from '../core/lifecycle.js';
import { coreErrors } from '../core/errors.js';
import { isoTime } from '../core/clock.js';
import { loadSettings, type LoadSettingsOptions } from '../config/load.js';

/** What a restart cannot do while the hub runs on it: the database, the web server answering, systemd's notifier. */
const NOT_RESTARTABLE = new Set(['store', 'http', 'systemd']);

const noEffect = (message: string) => coreErrors.error('MAINTENANCE_NO_EFFECT', message);

/**
 * The maintenance steps the hub itself owns: restart one of its services (a part's), and read
 * the settings file and environment again. Each says what it saw afterwards.
 */
export function defineHubMaintenance(ctx: HubContext, services: ServiceManager, load: LoadSettingsOptions): void {
  ctx.maintenance.defineFor(
    'restart_service',
    () => services.names().filter((n) => !NOT_RESTARTABLE.has(n)),
    async (target) => {
      const before = services.info(target);
      try {
        await services.restart(target);
      } catch (err) {
        throw noEffect(`${target} did not start again: ${(err as Error).message}`);
      }
      const after = services.info(target)!;
      const health = services.health()[target];
      if (after.state !== 'running' || after.started_at === null) throw noEffect(`${target} is ${after.state} after the restart`);
      const since = before?.started_at ? `it had run since ${isoTime(before.started_at)}; ` : '';
      return `${target} restarted (restart ${after.restarts} since the hub started); ${since}started again at ${isoTime(after.started_at)}; now ${health?.status ?? 'ok'}: ${health?.detail ?? 'running'}`;
    },
  );

  ctx.maintenance.define('reload_settings', 'settings', async () => {
    let loaded;
    try {
      loaded = loadSettings(load);
    } catch (err) {
      throw noEffect(`the settings were not reloaded: ${(err as Error).message}`);
    }
    const change = ctx.settings.reloadBase(loaded.base, 'support');
    const file = loaded.file;
    const from = file ? `the file ${file} and the environment` : 'the environment';
    if (change.changed.length === 0) return `read ${from} again: nothing differs from the settings in use`;
    const restart = change.restart_required.length ? `; needs a restart to apply: ${change.restart_required.join(', ')}` : '';
    return `read ${from} again: ${change.changed.length} changed (${change.changed.join(', ')})${restart}`;
  });
}
