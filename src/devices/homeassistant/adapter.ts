// Placeholder until the Home Assistant bridge lands: no adapter unless configured.
import type { HubContext } from '../../core/context.js';
import type { DeviceAdapter } from '../model.js';
import type { EntityRegistry } from '../registry.js';

export function createHomeAssistantAdapter(_ctx: HubContext, _registry: EntityRegistry): DeviceAdapter | undefined {
  return undefined;
}
