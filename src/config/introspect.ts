import { z } from 'zod';
import { settingsSchema } from './schema.js';

/** One leaf setting, as the env mapping, the docs generator and secret scrubbing see it. */
export interface SettingLeaf {
  key: string; // dotted: mqtt.allow_anonymous
  env: string; // HEARTH_MQTT_ALLOW_ANONYMOUS
  kind: 'string' | 'number' | 'boolean' | 'enum' | 'literal' | 'json';
  description: string;
  defaultValue: unknown;
  secret: boolean;
  /** Takes effect only after a restart: `.meta({ restart: true })` on the setting or its section. */
  restart: boolean;
  schema: z.ZodType;
}

/** What a setting's schema may carry besides its description. */
interface SettingMeta {
  secret?: boolean;
  restart?: boolean;
}
const metaOf = (schema: z.ZodType): SettingMeta => (z.globalRegistry.get(schema) as SettingMeta | undefined) ?? {};

type AnyZod = z.ZodType & { _zod: { def: { type: string; innerType?: AnyZod; defaultValue?: unknown } } };

function unwrap(schema: AnyZod): { inner: AnyZod; defaultValue: unknown; description?: string; secret: boolean; restart: boolean } {
  let current = schema;
  let defaultValue: unknown;
  let description = current.description;
  let secret = Boolean(metaOf(current).secret);
  let restart = Boolean(metaOf(current).restart);
  for (;;) {
    const def = current._zod.def;
    if ((def.type === 'default' || def.type === 'prefault') && defaultValue === undefined) {
      const raw = def.defaultValue;
      defaultValue = typeof raw === 'function' ? (raw as () => unknown)() : raw;
    }
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(def.type)) {
      current = def.innerType;
      description ??= current.description;
      secret ||= Boolean(metaOf(current).secret);
      restart ||= Boolean(metaOf(current).restart);
      continue;
    }
    return { inner: current, defaultValue, description, secret, restart };
  }
}

function kindOf(schema: AnyZod): SettingLeaf['kind'] {
  switch (schema._zod.def.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'int':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'enum':
      return 'enum';
    case 'literal':
      return 'literal';
    default:
      return 'json';
  }
}

let cached: SettingLeaf[] | undefined;

/** Every leaf setting of the schema, in declaration order. */
export function settingLeaves(): SettingLeaf[] {
  if (cached) return cached;
  const out: SettingLeaf[] = [];
  const walk = (schema: AnyZod, path: string[], sectionRestart: boolean) => {
    const { inner, defaultValue, description, secret, restart } = unwrap(schema);
    if (inner._zod.def.type === 'object' && path.length < 2) {
      const shape = (inner as unknown as z.ZodObject).shape as Record<string, AnyZod>;
      for (const [key, child] of Object.entries(shape)) walk(child, [...path, key], sectionRestart || restart);
      return;
    }
    const key = path.join('.');
    out.push({
      key,
      env: `HEARTH_${path.join('_').toUpperCase()}`,
      kind: kindOf(inner),
      description: description ?? '',
      defaultValue,
      secret,
      restart: sectionRestart || restart,
      schema: inner,
    });
  };
  walk(settingsSchema as unknown as AnyZod, [], false);
  cached = out;
  return out;
}

export function sectionDescriptions(): Record<string, string> {
  const shape = settingsSchema.shape as Record<string, AnyZod>;
  const out: Record<string, string> = {};
  for (const [key, child] of Object.entries(shape)) {
    const { inner, description } = unwrap(child);
    if (inner._zod.def.type === 'object') out[key] = description ?? inner.description ?? '';
  }
  return out;
}

/** A copy of the settings with every secret replaced, for support diagnostics and exports. */
export function withoutSecrets<T>(settings: T): T {
  const copy = structuredClone(settings) as Record<string, Record<string, unknown>>;
  for (const leaf of settingLeaves()) {
    if (!leaf.secret) continue;
    const [section, key] = leaf.key.split('.') as [string, string];
    if (copy[section] && copy[section][key] !== undefined) copy[section][key] = '[secret]';
  }
  return copy as T;
}

/**
 * An imported document with `[secret]` markers (an export made without secrets): each marked
 * secret keeps the value saved now (`saved`, the current overrides), or is left unset.
 */
export function keepSavedSecrets(doc: Record<string, unknown>, saved: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(doc) as Record<string, Record<string, unknown>>;
  for (const leaf of settingLeaves()) {
    if (!leaf.secret) continue;
    const [section, key] = leaf.key.split('.') as [string, string];
    const part = copy[section];
    if (!part || typeof part !== 'object' || !Object.hasOwn(part, key) || part[key] !== '[secret]') continue;
    const now = (saved[section] as Record<string, unknown> | undefined)?.[key];
    if (now === undefined) delete part[key];
    else part[key] = now;
  }
  return copy;
}
