import { defineDomain } from './types.js';

/** A reading (temperature, power, …): nothing to operate. */
export const sensor = defineDomain({
  name: 'sensor',
  operations: {},
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'reading', group: 'Sensors' },
});
