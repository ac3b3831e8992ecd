import type { HubContext } from '../part/context.js';
import type { PartInstance } from '../part/define.js';
import { WorkflowsService, type WorkflowsDeps } from './service.js';
import { workflowRoutes } from './routes.js';

export { workflowsTables } from './tables.js';
export { WorkflowsService, type WorkflowsDeps } from './service.js';
export { parseWorkflow, WorkflowInvalid } from './parse.js';
export type { CheckinStarter } from './engine.js';

export interface WorkflowsPart extends PartInstance {
  workflows: WorkflowsService;
}

/**
 * The workflows part: definitions (API, `config/workflows/*.yaml`, built-in packs), triggers,
 * durable runs. Every effect goes through the gate (actions) or the router (messages).
 */
export function createWorkflowsPart(ctx: HubContext, deps: WorkflowsDeps): WorkflowsPart {
  const workflows = new WorkflowsService(ctx, deps);
  return { name: 'workflows', services: [workflows], routes: workflowRoutes(workflows), workflows };
}
