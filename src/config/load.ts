import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// The same YAML parser the workflows use (loaded at every start for the built-in packs): one copy in memory.
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { settingsSchema, type Settings } from './schema.js';
import { settingLeaves } from './introspect.js';
import { migrateSettings } from './migrate.js';
import { ConfigError } from './errors.js';
import { deepMerge, getPath, isPlainObject, setPath, type PlainObject } from './merge.js';

export interface LoadSettingsOptions {
  /** `--config FILE`; otherwise HEARTH_CONFIG; otherwise config/hearth.yaml when it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line flags such as --data and --demo, above the environment. */
  flags?: PlainObject;
  /** Settings the owner changed at run time (stored in the database): the highest layer. */
  runtime?: PlainObject;
  cwd?: string;
}

export interface LoadedSettings {
  settings: Settings;
  /** The YAML file read, if any. */
  file?: string;
  /** Layers below the runtime one, so that run-time changes can be re-applied on top. */
  base: PlainObject;
}

export function resolveConfigFile(options: LoadSettingsOptions): string | undefined {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env.HEARTH_CONFIG;
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
    return path;
  }
  const fallback = resolve(cwd, 'config/hearth.yaml');
  return existsSync(fallback) ? fallback : undefined;
}

export function readConfigFile(path: string): PlainObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path} cannot be read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new ConfigError(`config file ${path} must hold a mapping of sections (hub:, http:, ...), not ${typeof doc}`);
  return migrateSettings(doc, path);
}

/** HEARTH_<SECTION>_<KEY> variables, each parsed by the type its setting expects. */
export function envLayer(env: NodeJS.ProcessEnv): { layer: PlainObject; sources: Map<string, string> } {
  const layer: PlainObject = {};
  const sources = new Map<string, string>();
  for (const leaf of settingLeaves()) {
    const raw = env[leaf.env];
    if (raw === undefined || raw === '') continue;
    setPath(layer, leaf.key.split('.'), parseEnvValue(raw, leaf.kind));
    sources.set(leaf.key, leaf.env);
  }
  // The short forms DESIGN promises.
  const aliases: Record<string, string> = {
    HEARTH_DATA_DIR: 'hub.data_dir',
    HEARTH_LOG_LEVEL: 'hub.log_level',
  };
  for (const [name, key] of Object.entries(aliases)) {
    const raw = env[name];
    if (raw === undefined || raw === '' || sources.has(key)) continue;
    setPath(layer, key.split('.'), raw);
    sources.set(key, name);
  }
  return { layer, sources };
}

function parseEnvValue(raw: string, kind: string): unknown {
  switch (kind) {
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return raw;
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

/** Layers the sources and validates them once; any problem is a ConfigError naming key, value and expectation. */
export function loadSettings(options: LoadSettingsOptions = {}): LoadedSettings {
  const env = options.env ?? process.env;
  const file = resolveConfigFile(options);
  const fromFile = file ? readConfigFile(file) : {};
  const { layer: fromEnv, sources } = envLayer(env);
  let base = deepMerge(fromFile, fromEnv);
  if (options.flags) base = deepMerge(base, options.flags);
  const merged = options.runtime ? deepMerge(base, options.runtime) : base;
  const settings = parseSettings(merged, (key) => sources.get(key) ?? (file ? `file ${file}` : 'settings'));
  return { settings, file, base };
}

export function parseSettings(doc: unknown, originOf: (key: string) => string = () => 'settings'): Settings {
  const result = settingsSchema.safeParse(doc);
  if (result.success) return result.data;
  throw new ConfigError(describeIssues(result.error, doc, originOf));
}

export function describeIssues(error: z.ZodError, doc: unknown, originOf: (key: string) => string = () => 'settings'): string {
  const lines = error.issues.slice(0, 10).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.join('.');
      return issue.keys
        .map((k) => `unknown settings key "${at ? `${at}.` : ''}${k}" (${originOf(at)}): expected one of the documented keys (see docs/configuration.md)`)
        .join('\n');
    }
    const key = issue.path.join('.');
    const value = getPath(doc, issue.path);
    const shown = value === undefined ? 'nothing' : JSON.stringify(value);
    return `settings key "${key}" has value ${shown} (${originOf(key)}): ${issue.message}`;
  });
  return `invalid settings:\n${lines.join('\n')}`;
}
