import { coreErrors } from './errors.js';

/** The maintenance steps a support engineer may ask for (each one a `hub.support` action the owner approves). */
export const MAINTENANCE_OPERATIONS = ['restart_service', 'resync_connector', 'reload_settings', 'run_backup', 'collect_diagnostics'] as const;
export type MaintenanceOperation = (typeof MAINTENANCE_OPERATIONS)[number];

/** Takes the step on one target; resolves with what it observed afterwards, or throws when there was no effect. */
export type MaintenanceStep = (target: string) => Promise<string>;

/**
 * Who can take which maintenance step on what. The parts that own a target define its steps
 * (the hub its services, devices the Home Assistant bridge, backups the backup); the link runs
 * them when the owner approved. A step with no owner fails: nothing is `executed` without an
 * effect someone observed.
 */
export class Maintenance {
  private readonly steps = new Map<string, MaintenanceStep>();
  private readonly anyTarget = new Map<MaintenanceOperation, { step: MaintenanceStep; targets: () => string[] }>();

  /** One step on one named target. */
  define(operation: MaintenanceOperation, target: string, step: MaintenanceStep): void {
    const key = `${operation}:${target}`;
    if (this.steps.has(key)) throw new Error(`maintenance ${key} is defined twice`);
    this.steps.set(key, step);
  }

  /** One step on any of a changing set of targets (the hub's services). */
  defineFor(operation: MaintenanceOperation, targets: () => string[], step: MaintenanceStep): void {
    this.anyTarget.set(operation, { step, targets });
  }

  targets(operation: MaintenanceOperation): string[] {
    const named = [...this.steps.keys()].filter((k) => k.startsWith(`${operation}:`)).map((k) => k.slice(operation.length + 1));
    return [...new Set([...named, ...(this.anyTarget.get(operation)?.targets() ?? [])])].sort();
  }

  async run(operation: MaintenanceOperation, target: string): Promise<string> {
    const step =
      this.steps.get(`${operation}:${target}`) ?? (this.anyTarget.get(operation)?.targets().includes(target) ? this.anyTarget.get(operation)!.step : undefined);
    if (!step) {
      const known = this.targets(operation);
      throw coreErrors.error(
        'MAINTENANCE_UNKNOWN_TARGET',
        `${operation.replace(/_/g, ' ')} cannot act on "${target}"${known.length ? `; it can on: ${known.join(', ')}` : ''}`,
      );
    }
    return step(target);
  }
}
