import type { Domain, Entity } from './model.js';
import { expectedStateOf, operationOf, operationsFor as domainOperations } from './domains/index.js';

/**
 * The operations each domain supports and the state that proves each one took effect, as the
 * domain descriptions (`domains/`) give them. The gate validates requests against them and
 * its executor confirms outcomes by them.
 */
export function operationsFor(domain: Domain): string[] {
  return domainOperations(domain);
}

export function supportsOperation(entity: Entity, operation: string): boolean {
  return Boolean(operationOf(entity.domain, operation));
}

/** The state that confirms `operation` on `entity`, or undefined when no state proves it. */
export function expectedState(entity: Entity, operation: string, params: Record<string, unknown>): string | undefined {
  return expectedStateOf(entity.domain, operation, params, entity.state);
}
