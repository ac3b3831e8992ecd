// Placeholder until the members part lands: nobody is signed in.
import type { HubContext } from '../core/context.js';
import type { PartTables } from '../store/database.js';
import type { Authenticator } from './model.js';
import type { PartInstance } from '../hub/part.js';

export const membersTables: PartTables = { part: 'members', migrations: [] };

export function createMembersPart(_ctx: HubContext): PartInstance & { authenticator: Authenticator } {
  return { name: 'members', authenticator: { authenticate: () => null } };
}
