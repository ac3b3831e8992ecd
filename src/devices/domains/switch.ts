import { onOffOperations } from './params.js';
import { defineDomain } from './types.js';

export const switchDomain = defineDomain({
  name: 'switch',
  operations: onOffOperations(),
  risk: 'low',
  words: { nouns: ['switch', 'plug', 'socket', 'outlet'], actions: { on: 'turn_on', off: 'turn_off', toggle: 'toggle' }, states: ['on', 'off'] },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'toggle', group: 'Switches' },
});
