import type { Db } from '../store/database.js';
import type { EventBus } from '../core/bus.js';
import type { Settings } from './schema.js';
import { settingLeaves, withoutSecrets } from './introspect.js';
import { deepMerge, getPath, isPlainObject, type PlainObject } from './merge.js';
import { parseSettings } from './load.js';
import { ConfigError, configErrors } from './errors.js';
import type { SecretBox } from './secret-box.js';

declare module '../core/bus.js' {
  interface HubEvents {
    'settings.changed': { settings: Settings; changed: string[] };
  }
}

/** Keys that cannot change while the hub runs (they decide where it keeps its state). */
const FIXED_KEYS = ['hub.data_dir', 'settings_version'];
/**
 * Keys that take effect only after a restart (the API says so), marked in the schema with
 * `.meta({ restart: true })`: each is read once when its part is built (the HTTP server's
 * options, the logger, the broker's rate limiters, the whole cloud link).
 */
let restartKeys: Set<string> | undefined;

export interface SettingsChange {
  changed: string[];
  restart_required: string[];
  by: string;
}

/**
 * Settings at run time: the file/env layers (`base`) with the owner's overrides from the
 * database on top. Every change is validated whole before it is stored.
 */
export class SettingsService {
  private overrides: PlainObject;
  private current: Settings;

  constructor(
    private readonly db: Db,
    private base: PlainObject,
    private readonly bus: EventBus,
    private readonly record: (change: SettingsChange) => void,
    private readonly box: SecretBox,
  ) {
    const row = db.prepare('SELECT doc FROM settings_overrides WHERE id = 1').get() as { doc: string } | undefined;
    this.overrides = box.openDoc(row ? (JSON.parse(row.doc) as PlainObject) : {});
    try {
      this.current = parseSettings(deepMerge(base, this.overrides), () => 'settings stored in the database');
    } catch (err) {
      throw new ConfigError(
        `${(err as Error).message}\n(the run-time settings in the database are invalid; fix or remove them with \`hearth settings reset\`)`,
      );
    }
  }

  private needsRestart(key: string): boolean {
    restartKeys ??= new Set(
      settingLeaves()
        .filter((l) => l.restart)
        .map((l) => l.key),
    );
    return restartKeys.has(key);
  }

  get(): Settings {
    return this.current;
  }

  /** The owner's run-time overrides, secrets in clear (only for the owner's encrypted export). */
  overridesDoc(): PlainObject {
    return structuredClone(this.overrides);
  }

  /** The effective settings with secrets replaced by `[secret]`. */
  redacted(): Settings {
    return withoutSecrets(this.current);
  }

  /** Applies a partial document on top of the overrides. Invalid → 400 naming the key. */
  update(patch: PlainObject, by: string): SettingsChange {
    const next = deepMerge(this.overrides, patch);
    return this.replace(next, by);
  }

  /** Replaces all overrides (settings import). */
  replace(doc: PlainObject, by: string): SettingsChange {
    const { next, change } = this.plan(doc, by);
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO settings_overrides (id, doc, updated_at, updated_by) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
        )
        .run(JSON.stringify(this.box.sealDoc(doc).doc), new Date().toISOString(), by);
      this.record(change);
    })();
    this.overrides = doc;
    this.current = next;
    if (change.changed.length > 0) this.bus.emit('settings.changed', { settings: next, changed: change.changed });
    return change;
  }

  /** What update() would change, checked whole, without storing anything (400 naming the key when invalid). */
  preview(patch: PlainObject, mode: 'merge' | 'replace' = 'merge'): SettingsChange {
    return this.plan(mode === 'merge' ? deepMerge(this.overrides, patch) : patch, '').change;
  }

  private plan(doc: PlainObject, by: string): { next: Settings; change: SettingsChange } {
    if (!isPlainObject(doc)) throw configErrors.error('INVALID_SETTINGS', 'settings must be a JSON object of sections');
    for (const key of FIXED_KEYS) {
      if (getPath(doc, key.split('.')) !== undefined) {
        throw configErrors.error('SETTING_FIXED', `settings key "${key}" cannot be changed while the hub runs; change it in the config file`);
      }
    }
    let next: Settings;
    try {
      next = parseSettings(deepMerge(this.base, doc));
    } catch (err) {
      throw configErrors.error('INVALID_SETTINGS', (err as Error).message.replace(/^invalid settings:\n/, ''));
    }
    return { next, change: this.changeTo(next, by) };
  }

  private changeTo(next: Settings, by: string): SettingsChange {
    const changed = settingLeaves()
      .map((l) => l.key)
      .filter((key) => JSON.stringify(getPath(this.current, key.split('.'))) !== JSON.stringify(getPath(next, key.split('.'))));
    return { changed, restart_required: changed.filter((k) => this.needsRestart(k)), by };
  }

  /**
   * The settings file and environment read again (support's "reload settings"); the owner's
   * run-time changes stay on top. Invalid → INVALID_SETTINGS and nothing changes.
   */
  reloadBase(base: PlainObject, by: string): SettingsChange {
    let next: Settings;
    try {
      next = parseSettings(deepMerge(base, this.overrides));
    } catch (err) {
      throw configErrors.error('INVALID_SETTINGS', (err as Error).message.replace(/^invalid settings:\n/, ''));
    }
    const change = this.changeTo(next, by);
    this.record(change);
    this.base = base;
    this.current = next;
    if (change.changed.length > 0) this.bus.emit('settings.changed', { settings: next, changed: change.changed });
    return change;
  }
}
