import { definePart } from '../part/define.js';
import { homeassistantCheck } from './homeassistant/settings-check.js';
import { createDevicesPart, devicesTables } from './index.js';

/** Entities, their state and history, and the adapters (LAN broker, Home Assistant, demo). */
export const devicesPart = definePart({
  name: 'devices',
  tables: devicesTables,
  checks: [homeassistantCheck],
  events: {
    'entity.state_changed': { send: (p) => ({ entity: p.entity, old_state: p.old_state, old_available: p.old_available }) },
    'entity.added': { send: (e) => e },
    'entity.removed': { send: (p) => p },
  },
  create: (ctx) => createDevicesPart(ctx, { changes: ctx.changes }),
});
