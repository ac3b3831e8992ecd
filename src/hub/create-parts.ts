import type { HubContext } from '../part/context.js';
import type { Authenticator } from '../core/principal.js';
import type { HubCatalog, PartDefinition, PartInstance } from '../part/define.js';
import { inOrder, partChecks, parts as allParts, streamEvents } from './parts.js';
import { runDoctor } from './doctor.js';
import type { MembersPart } from '../members/index.js';

export interface Parts {
  /** In start order; services start in this order and stop in reverse. */
  list: PartInstance[];
  authenticator: Authenticator;
}

/**
 * Makes the parts from the context, each after the parts it needs, handing each their
 * instances and the lists the hub derives from all of them.
 */
export function createParts(ctx: HubContext, definitions: readonly PartDefinition[] = allParts): Parts {
  const catalog: HubCatalog = {
    events: streamEvents,
    checks: partChecks,
    diagnose: (timeoutMs) => runDoctor({ data: ctx.dataDir, timeoutMs }),
  };
  const made = new Map<PartDefinition, PartInstance>();
  const list: PartInstance[] = [];
  for (const def of inOrder(definitions)) {
    if (!def.create) continue;
    const deps = Object.fromEntries(Object.entries(def.needs ?? {}).map(([key, need]) => [key, made.get(need)!]));
    const instance = def.create(ctx, deps, catalog);
    made.set(def, instance);
    list.push(instance);
  }
  const members = list.find((p) => p.name === 'members') as MembersPart | undefined;
  if (!members) throw new Error('the hub needs the members part: it knows who is calling');
  return { list, authenticator: members.authenticator };
}
