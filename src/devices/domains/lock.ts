import { codeParams } from './params.js';
import { defineDomain } from './types.js';

export const lock = defineDomain({
  name: 'lock',
  operations: {
    lock: { params: codeParams, expect: 'locked', risk: 'low', mqttPayload: ['payload_lock', 'LOCK'] },
    unlock: { params: codeParams, expect: 'unlocked', risk: 'high', mqttPayload: ['payload_unlock', 'UNLOCK'] },
    open: { params: codeParams, expect: 'open', risk: 'high', mqttPayload: ['payload_open', 'OPEN'] },
  },
  risk: 'medium',
  words: {
    nouns: ['lock', 'door', 'deadbolt'],
    actions: { open: 'unlock', close: 'lock', lock: 'lock', unlock: 'unlock' },
    states: ['locked', 'unlocked', 'open', 'closed'],
  },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'lock', group: 'Doors and security' },
});
