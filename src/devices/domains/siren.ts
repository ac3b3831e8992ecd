import { noParams } from './params.js';
import { defineDomain } from './types.js';

export const siren = defineDomain({
  name: 'siren',
  operations: {
    turn_on: { params: noParams, expect: 'on', risk: 'medium' },
    turn_off: { params: noParams, expect: 'off' },
  },
  risk: 'low',
  words: { nouns: ['siren'], actions: { on: 'turn_on', off: 'turn_off' }, states: ['on', 'off'] },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'toggle', group: 'Sirens' },
});
