import { z } from 'zod';
import { domainSchema, type EntityInput } from '../model.js';
import { ENTITY_ID, deviceRegistryEntrySchema, entityRegistryEntrySchema, type HaState } from './protocol.js';

export const HA_SOURCE = 'homeassistant';

/**
 * A Home Assistant state object as a registry entity: the id is HA's entity_id as is (a domain
 * the hub does not model becomes `other`, the id keeps HA's domain), the name is the
 * friendly_name, and `unavailable` means not available. Undefined for an id the registry
 * cannot hold.
 */
export function toEntityInput(state: HaState, device?: DeviceInfo): EntityInput | undefined {
  if (!ENTITY_ID.test(state.entity_id)) return undefined;
  const [haDomain, objectId] = state.entity_id.split('.') as [string, string];
  const domain = domainSchema.safeParse(haDomain);
  const friendly = state.attributes.friendly_name;
  return {
    id: state.entity_id,
    name: typeof friendly === 'string' && friendly.trim() ? friendly : objectId.replace(/_/g, ' '),
    domain: domain.success ? domain.data : 'other',
    state: state.state,
    attributes: withoutCredentials(state.attributes),
    source: HA_SOURCE,
    available: state.state !== 'unavailable',
    ...(device ? { device } : {}),
  };
}

/**
 * HA puts short-lived credentials for its own proxies in some attributes (a camera's
 * `access_token`, `entity_picture` URLs with `?token=`). They stay in HA: the registry is
 * shown to every member, streamed and relayed.
 */
export function withoutCredentials(attributes: Record<string, unknown>): Record<string, unknown> {
  if (!('access_token' in attributes) && !('entity_picture' in attributes)) return attributes;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'access_token') continue;
    out[key] = key === 'entity_picture' && typeof value === 'string' ? value.replace(/([?&]token=)[^&]*/g, '$1[redacted]') : value;
  }
  return out;
}

export interface DeviceInfo {
  id: string;
  name?: string;
  manufacturer?: string;
  model?: string;
}

/**
 * entity_id → device from HA's entity and device registries (lists that may be missing: an
 * older HA, or a token without the rights; then entities simply carry no device).
 */
export function deviceIndex(entityList: unknown, deviceList: unknown): Map<string, DeviceInfo> {
  const out = new Map<string, DeviceInfo>();
  const entries = z.array(z.unknown()).catch([]).parse(entityList);
  const devices = new Map<string, DeviceInfo>();
  for (const raw of z.array(z.unknown()).catch([]).parse(deviceList)) {
    const d = deviceRegistryEntrySchema.safeParse(raw);
    if (!d.success) continue;
    const name = d.data.name_by_user ?? d.data.name ?? undefined;
    devices.set(d.data.id, {
      id: d.data.id,
      ...(name ? { name } : {}),
      ...(d.data.manufacturer ? { manufacturer: d.data.manufacturer } : {}),
      ...(d.data.model ? { model: d.data.model } : {}),
    });
  }
  for (const raw of entries) {
    const e = entityRegistryEntrySchema.safeParse(raw);
    if (!e.success || !e.data.device_id) continue;
    const device = devices.get(e.data.device_id);
    if (device) out.set(e.data.entity_id, device);
  }
  return out;
}
