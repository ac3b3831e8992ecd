import { SETTINGS_VERSION } from './schema.js';
import { ConfigError } from './errors.js';

type Raw = Record<string, unknown>;

/**
 * Steps that bring an older settings document up to SETTINGS_VERSION. Step N turns a
 * version-N document into version N+1. Add one whenever a key is renamed or reshaped.
 */
const steps: Record<number, (raw: Raw) => Raw> = {};

export function migrateSettings(raw: Raw, origin: string): Raw {
  const found = raw.settings_version;
  if (found === undefined) return raw; // unversioned files are read as the current layout
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 1) {
    throw new ConfigError(
      `settings key "settings_version" has value ${JSON.stringify(found)} in ${origin}: expected a whole number from 1 to ${SETTINGS_VERSION}`,
    );
  }
  if (found > SETTINGS_VERSION) {
    throw new ConfigError(`settings key "settings_version" is ${found} in ${origin}, written by a newer Hearth; this one reads up to ${SETTINGS_VERSION}`);
  }
  let doc = raw;
  for (let v = found; v < SETTINGS_VERSION; v++) {
    const step = steps[v];
    if (!step) throw new ConfigError(`no migration from settings version ${v} (${origin})`);
    doc = { ...step(doc), settings_version: v + 1 };
  }
  return doc;
}
