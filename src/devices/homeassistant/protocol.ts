import { z } from 'zod';
import { devicesErrors } from '../errors.js';

/**
 * The parts of Home Assistant's WebSocket protocol the bridge depends on
 * (https://developers.home-assistant.io/docs/api/websocket), validated loosely: unknown keys
 * pass through, and a frame that does not fit is logged and ignored, never trusted.
 */

/** Any frame: an object with a `type`; HA coalesces messages into arrays when asked to. */
export const frameSchema = z.looseObject({ type: z.string(), id: z.number().int().optional() });
export const framesSchema = z.union([frameSchema, z.array(frameSchema)]);
export type Frame = z.infer<typeof frameSchema>;

export const authRequiredSchema = z.looseObject({ type: z.literal('auth_required'), ha_version: z.string().optional() });
export const authOkSchema = z.looseObject({ type: z.literal('auth_ok'), ha_version: z.string().optional() });
export const authInvalidSchema = z.looseObject({ type: z.literal('auth_invalid'), message: z.string().optional() });

/** A state object as `get_states` and `state_changed` carry it. */
export const haStateSchema = z.looseObject({
  entity_id: z.string(),
  state: z.string(),
  attributes: z.record(z.string(), z.unknown()).catch({}),
  last_changed: z.string().optional(),
  last_updated: z.string().optional(),
});
export type HaState = z.infer<typeof haStateSchema>;

export const stateChangedEventSchema = z.looseObject({
  event_type: z.literal('state_changed'),
  time_fired: z.string().optional(),
  data: z.looseObject({
    entity_id: z.string(),
    new_state: haStateSchema.nullable(),
  }),
});
export type StateChangedEvent = z.infer<typeof stateChangedEventSchema>;

/** `config/entity_registry/list` entries: only the link to a device matters here. */
export const entityRegistryEntrySchema = z.looseObject({ entity_id: z.string(), device_id: z.string().nullable().optional() });
/** `config/device_registry/list` entries. */
export const deviceRegistryEntrySchema = z.looseObject({
  id: z.string(),
  name: z.string().nullable().optional(),
  name_by_user: z.string().nullable().optional(),
  manufacturer: z.string().nullable().optional(),
  model: z.string().nullable().optional(),
});

/** `get_config`: only the run state matters here (absent in old versions). */
export const haConfigSchema = z.looseObject({ state: z.string().optional() });

/** HA's result error: `{code, message}`. */
export const haErrorSchema = z.looseObject({ code: z.union([z.string(), z.number()]), message: z.string().optional() });

/** An HA entity id the registry can hold: `domain.object_id`, lower case. */
export const ENTITY_ID = /^[a-z_]+\.[a-z0-9_]+$/;
/** A domain or service name as HA writes them. */
export const SERVICE_NAME = /^[a-z0-9_]+$/;

/**
 * `http://ha.local:8123` → `ws://ha.local:8123/api/websocket`; https → wss. A trailing slash
 * or a path prefix (HA behind a reverse proxy) is kept; a ws(s) URL or one that already ends
 * in /api/websocket is taken as given.
 */
export function toWebSocketUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw devicesErrors.error('HA_BAD_URL', `homeassistant.url is not a URL: ${base}`);
  }
  const protocols: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };
  const protocol = protocols[url.protocol];
  if (!protocol) throw devicesErrors.error('HA_BAD_URL', `homeassistant.url must start with http://, https://, ws:// or wss:// (got ${url.protocol})`);
  url.protocol = protocol;
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/api/websocket') ? path : `${path}/api/websocket`;
  url.search = '';
  url.hash = '';
  url.username = '';
  url.password = '';
  return url.toString();
}

/** The HTTP base URL for a ws URL (what createLongLivedTokenAuth wants). */
export function toHttpBase(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = url.pathname.replace(/\/api\/websocket$/, '');
  return url.toString().replace(/\/+$/, '');
}

/** True for HA versions at or after year.month (`2022.9.0`, `2025.1.0b1`, `0.118.0`). */
export function atLeastVersion(version: string | undefined, year: number, month: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [y, mo] = [Number(m[1]), Number(m[2])];
  return y > year || (y === year && mo >= month);
}
