import { z } from 'zod';
import { domainSchema, slug, type Domain } from '../../model.js';
import { MQTT_COMPONENTS } from '../../domains/index.js';
import { ABBREVIATIONS, DEVICE_ABBREVIATIONS, ORIGIN_ABBREVIATIONS } from './abbreviations.js';

/** The components Hearth models (the domain descriptions with `mqtt`); HA knows more (event, update, tag, …) and those are ignored. */
export const SUPPORTED_COMPONENTS = MQTT_COMPONENTS;
export type Component = (typeof SUPPORTED_COMPONENTS)[number];
/** Components Home Assistant knows but Hearth does not model: ignored quietly. */
export const KNOWN_UNMODELED = new Set([
  'camera',
  'device_automation',
  'device_tracker',
  'event',
  'humidifier',
  'image',
  'lawn_mower',
  'notify',
  'tag',
  'text',
  'update',
  'vacuum',
  'water_heater',
  'alarm_control_panel_legacy',
]);

export function isSupported(component: string): component is Component {
  return (SUPPORTED_COMPONENTS as readonly string[]).includes(component);
}

/** `homeassistant/<component>/[<node_id>/]<object_id>/config` */
export interface DiscoveryTopic {
  component: string;
  nodeId: string | null;
  objectId: string;
  /** Stable key of this config: component/[node/]object. */
  key: string;
}

const ID_PART = /^[A-Za-z0-9_-]+$/;

export function parseDiscoveryTopic(topic: string, prefix = 'homeassistant'): DiscoveryTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== prefix || parts[parts.length - 1] !== 'config') return undefined;
  if (parts.length === 4) {
    const [, component, objectId] = parts as [string, string, string, string];
    if (!ID_PART.test(objectId)) return undefined;
    return { component, nodeId: null, objectId, key: `${component}/${objectId}` };
  }
  if (parts.length === 5) {
    const [, component, nodeId, objectId] = parts as [string, string, string, string, string];
    if (!ID_PART.test(nodeId) || !ID_PART.test(objectId)) return undefined;
    return { component, nodeId, objectId, key: `${component}/${nodeId}/${objectId}` };
  }
  return undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Expands abbreviated keys (HA's table), in the device, origin, availability list and components too. */
export function expandAbbreviations(input: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(input)) {
    const key = ABBREVIATIONS[k] ?? k;
    if (key === 'device' && isObj(v)) out[key] = renameKeys(v, DEVICE_ABBREVIATIONS);
    else if (key === 'origin' && isObj(v)) out[key] = renameKeys(v, ORIGIN_ABBREVIATIONS);
    else if (key === 'availability' && Array.isArray(v)) out[key] = v.map((a) => (isObj(a) ? renameKeys(a, ABBREVIATIONS) : a));
    else if (key === 'components' && isObj(v)) {
      const cmps: Obj = {};
      for (const [id, c] of Object.entries(v)) cmps[id] = isObj(c) ? expandAbbreviations(c) : c;
      out[key] = cmps;
    } else out[key] = v;
  }
  return out;
}

function renameKeys(input: Obj, table: Readonly<Record<string, string>>): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(input)) out[table[k] ?? k] = v;
  return out;
}

/** Replaces `~` at the start or end of every *_topic value (and availability topics) with the base. */
export function expandBase(config: Obj): Obj {
  const base = config['~'];
  if (typeof base !== 'string') return config;
  const sub = (v: string) => {
    let s = v;
    if (s.startsWith('~')) s = base + s.slice(1);
    if (s.endsWith('~')) s = s.slice(0, -1) + base;
    return s;
  };
  const out: Obj = {};
  for (const [k, v] of Object.entries(config)) {
    if ((k.endsWith('_topic') || k === 'topic') && typeof v === 'string') out[k] = sub(v);
    else if (k === 'availability' && Array.isArray(v)) out[k] = v.map((a) => (isObj(a) && typeof a.topic === 'string' ? { ...a, topic: sub(a.topic) } : a));
    else out[k] = v;
  }
  return out;
}

const topic = z
  .string()
  .min(1)
  .max(1024)
  .refine((t) => !t.includes('+') && !t.includes('#'), 'wildcards are not allowed in a topic');
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const tpl = z.string().max(4096);

export const availabilitySchema = z.looseObject({
  topic,
  payload_available: scalar.optional(),
  payload_not_available: scalar.optional(),
  value_template: tpl.optional(),
});

export const deviceSchema = z.looseObject({
  identifiers: z.union([z.string(), z.array(z.string())]).optional(),
  connections: z.array(z.array(z.string())).optional(),
  name: z.string().nullable().optional(),
  manufacturer: z.string().nullable().optional(),
  model: z.string().nullable().optional(),
  suggested_area: z.string().nullable().optional(),
});

/** A component's config after expansion: loose, as HA is, with the keys Hearth reads typed. */
export const componentConfigSchema = z.looseObject({
  platform: z.string().optional(),
  name: z.string().max(200).nullable().optional(),
  unique_id: z.string().max(200).optional(),
  object_id: z.string().max(200).optional(),
  default_entity_id: z.string().max(255).optional(),
  device: deviceSchema.optional(),
  state_topic: topic.optional(),
  command_topic: topic.optional(),
  json_attributes_topic: topic.optional(),
  availability_topic: topic.optional(),
  availability: z.array(availabilitySchema).max(32).optional(),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  availability_template: tpl.optional(),
  payload_available: scalar.optional(),
  payload_not_available: scalar.optional(),
  value_template: tpl.optional(),
  state_value_template: tpl.optional(),
  schema: z.string().optional(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  retain: z.boolean().optional(),
  device_class: z.string().nullable().optional(),
  unit_of_measurement: z.string().nullable().optional(),
  icon: z.string().optional(),
});
export type ComponentConfig = z.infer<typeof componentConfigSchema>;

/** Reads a scalar config value as HA would compare it: as a string (booleans Python-style). */
export function cfgText(cfg: Obj, key: string, fallback: string): string {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

export function cfgNumber(cfg: Obj, key: string, fallback: number): number {
  const n = Number(cfg[key]);
  return cfg[key] === undefined || !Number.isFinite(n) ? fallback : n;
}

/**
 * The entity id, as HA derives it: `default_entity_id`, then `object_id`, then the device and
 * entity names, then the unique id, then the discovery object id.
 */
export function entityIdFor(component: Component, cfg: ComponentConfig, fallbackObjectId: string): string {
  const domain = domainSchema.parse(component);
  if (cfg.default_entity_id) {
    // HA's new key is a whole entity id (light.kitchen); the domain is always the component's.
    const object = cfg.default_entity_id.slice(cfg.default_entity_id.indexOf('.') + 1);
    if (object) return `${domain}.${slug(object)}`;
  }
  if (cfg.object_id) return `${domain}.${slug(cfg.object_id)}`;
  const deviceName = cfg.device?.name ?? undefined;
  if (cfg.name === null && deviceName) return `${domain}.${slug(deviceName)}`;
  if (cfg.name && deviceName && !cfg.name.toLowerCase().startsWith(deviceName.toLowerCase())) return `${domain}.${slug(`${deviceName} ${cfg.name}`)}`;
  if (cfg.name) return `${domain}.${slug(cfg.name)}`;
  if (cfg.unique_id) return `${domain}.${slug(cfg.unique_id)}`;
  return `${domain}.${slug(fallbackObjectId)}`;
}

export function friendlyName(cfg: ComponentConfig, entityId: string): string {
  const deviceName = cfg.device?.name ?? undefined;
  if (cfg.name === null && deviceName) return deviceName;
  if (cfg.name && deviceName && !cfg.name.toLowerCase().startsWith(deviceName.toLowerCase())) return `${deviceName} ${cfg.name}`;
  if (cfg.name) return cfg.name;
  if (deviceName) return deviceName;
  const object = entityId.split('.')[1] ?? entityId;
  return object.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}
