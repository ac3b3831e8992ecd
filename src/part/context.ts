import type { Registry } from 'prom-client';
import type { Settings } from '../config/schema.js';
import type { Store } from '../store/database.js';
import type { AuditTrail } from '../audit/trail.js';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger, RecentLogs } from '../core/logger.js';
import type { SettingsService } from '../config/service.js';
import type { HubChanges } from '../core/hub-changes.js';
import type { Maintenance } from '../core/maintenance.js';
import type { SecretBox } from '../config/secret-box.js';

/**
 * The one context object handed to every part (type-only imports: no part pulls another in
 * at run time through here). A part takes what it needs and makes a child logger.
 */
export interface HubContext {
  readonly version: string;
  readonly startedAt: number;
  readonly dataDir: string;
  readonly log: Logger;
  readonly recentLogs?: RecentLogs;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly store: Store;
  readonly audit: AuditTrail;
  readonly metrics: Registry;
  readonly settings: SettingsService;
  /**
   * The hub's own changes (members, device logins, support sessions, the policy): defined by parts
   * below the gate, bound to the gate by the gate part once it exists.
   */
  readonly changes: HubChanges;
  /** Support maintenance steps, defined by the parts that own their targets (run by the link, through the gate). */
  readonly maintenance: Maintenance;
  /** The secrets key (what seals secret settings); absent in contexts a test makes by hand. */
  readonly secrets?: SecretBox;
}

/** The settings as they are now; parts that react to changes listen for `settings.changed`. */
export type CurrentSettings = () => Settings;
