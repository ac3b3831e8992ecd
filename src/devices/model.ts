import { z } from 'zod';
import type { Service } from '../core/lifecycle.js';
import { domainSchema } from './domains/index.js';

/** The domains the hub models (one description each in `domains/`); other Home Assistant domains are carried as `other`. */
export { domainSchema, type Domain } from './domains/index.js';

export const deviceInfoSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  manufacturer: z.string().optional(),
  model: z.string().optional(),
});

export const entitySchema = z.object({
  id: z
    .string()
    .regex(/^[a-z_]+\.[a-z0-9_]+$/)
    .describe('HA-style domain.object_id'),
  name: z.string(),
  domain: domainSchema,
  state: z.string().describe('unavailable and unknown as in Home Assistant'),
  attributes: z.record(z.string(), z.unknown()),
  source: z.string().describe('the adapter that brings it: mqtt, homeassistant, demo'),
  available: z.boolean(),
  device: deviceInfoSchema.nullable(),
  area: z.string().nullable(),
  aliases: z.array(z.string()).describe('other names people use for it (owner-editable)'),
  hidden: z.boolean().optional().describe('the owner hid it from Home (it still works, and stays on the Devices page)'),
  source_name: z.string().optional().describe('the name its source gives, when the owner renamed it'),
  last_changed: z.string(),
  last_updated: z.string(),
  warning: z.string().nullable().describe('why the hub could not fully understand it, such as a template it cannot evaluate'),
});
export type Entity = z.infer<typeof entitySchema>;

/** What an adapter says about an entity; the registry fills in times and defaults. */
export type EntityInput = Omit<
  Entity,
  'last_changed' | 'last_updated' | 'aliases' | 'area' | 'warning' | 'device' | 'available' | 'attributes' | 'hidden' | 'source_name'
> &
  Partial<Pick<Entity, 'aliases' | 'area' | 'warning' | 'device' | 'available' | 'attributes'>>;

/**
 * A source of entities. `execute` is the command path to the physical home: only the action
 * gate's executor may call it (a test enforces this).
 */
export interface DeviceAdapter extends Service {
  readonly source: string;
  /** Sends the command; resolves once the adapter handed it on, not when the device obeyed. */
  execute(entity: Entity, operation: string, params: Record<string, unknown>): Promise<void>;
}

/** Slugs a free-form name into an object id: "Front Door" → front_door. */
export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return s || 'unnamed';
}
