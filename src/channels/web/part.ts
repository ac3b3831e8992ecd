import { definePart } from '../../part/define.js';
import { createWebPart } from './index.js';

/** The server-sent event stream; what it carries comes from every part's `events`. */
export const webPart = definePart({
  name: 'web',
  create: (ctx, _deps, hub) => createWebPart(ctx, hub.events),
});
