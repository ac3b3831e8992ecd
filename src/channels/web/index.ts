import type { HubContext } from '../../core/context.js';
import type { PartInstance } from '../../hub/part.js';
import { SseBroadcaster, eventRoutes } from './events.js';

/** The web channel: for now the server-sent event stream at /api/v1/events. */
export function createWebPart(ctx: HubContext): PartInstance & { events: SseBroadcaster } {
  const events = new SseBroadcaster(ctx);
  return { name: 'web', services: [events], routes: eventRoutes(events), events };
}
