import type { MembersService } from '../members/service.js';
import type { EntityRegistry } from '../devices/registry.js';
import type { DeviceAdapter } from '../devices/model.js';

/** The members part as the gate uses it. */
export type GateMembers = Pick<MembersService, 'get' | 'list' | 'verifyPin' | 'hasPin'>;

export interface GateDeps {
  members: GateMembers;
  registry: EntityRegistry;
  adapters: ReadonlyMap<string, DeviceAdapter>;
}
