import { domainSchema, type EntityInput } from '../model.js';
import { ENTITY_ID, type HaState } from './protocol.js';

export const HA_SOURCE = 'homeassistant';

/**
 * A Home Assistant state object as a registry entity: the id is HA's entity_id as is (a domain
 * the hub does not model becomes `other`, the id keeps HA's domain), the name is the
 * friendly_name, and `unavailable` means not available. Undefined for an id the registry
 * cannot hold.
 */
export function toEntityInput(state: HaState): EntityInput | undefined {
  if (!ENTITY_ID.test(state.entity_id)) return undefined;
  const [haDomain, objectId] = state.entity_id.split('.') as [string, string];
  const domain = domainSchema.safeParse(haDomain);
  const friendly = state.attributes.friendly_name;
  return {
    id: state.entity_id,
    name: typeof friendly === 'string' && friendly.trim() ? friendly : objectId.replace(/_/g, ' '),
    domain: domain.success ? domain.data : 'other',
    state: state.state,
    attributes: state.attributes,
    source: HA_SOURCE,
    available: state.state !== 'unavailable',
  };
}
