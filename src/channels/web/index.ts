import type { HubContext } from '../../part/context.js';
import type { PartInstance, StreamEvents } from '../../part/define.js';
import { SseBroadcaster, eventRoutes } from './events.js';

/** The web channel: for now the server-sent event stream at /api/v1/events. */
export function createWebPart(ctx: HubContext, stream: StreamEvents): PartInstance & { events: SseBroadcaster } {
  const events = new SseBroadcaster(ctx, stream);
  return { name: 'web', services: [events], routes: eventRoutes(events), events };
}
