import type { FastifyPluginAsync } from 'fastify';
import type { ComponentHealth, Service } from '../core/lifecycle.js';

/**
 * What a part gives the hub once it is made from the context: services to run (in order),
 * routes under /api/v1, and routes at the root. Its tables are listed in `hub/parts.ts`
 * because the store must exist before any part is made.
 */
export interface PartInstance {
  name: string;
  services?: Service[];
  routes?: FastifyPluginAsync;
  rootRoutes?: FastifyPluginAsync;
  /** Handed the hub's component health once it exists (support diagnostics read it). */
  useHealth?(components: () => Record<string, ComponentHealth>): void;
}
