import { noParams } from './params.js';
import { defineDomain } from './types.js';

export const valve = defineDomain({
  name: 'valve',
  operations: {
    open_valve: { params: noParams, expect: 'open', mqttPayload: ['payload_open', 'OPEN'] },
    close_valve: { params: noParams, expect: 'closed', mqttPayload: ['payload_close', 'CLOSE'] },
  },
  risk: 'medium',
  words: { nouns: ['valve', 'tap'], actions: { open: 'open_valve', close: 'close_valve' }, states: ['open', 'closed'] },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { group: 'Valves' },
});
