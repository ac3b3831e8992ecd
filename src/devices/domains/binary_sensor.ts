import { defineDomain } from './types.js';

/** On or off (a door contact, motion, smoke): nothing to operate. */
export const binarySensor = defineDomain({
  name: 'binary_sensor',
  operations: {},
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'reading', group: 'Sensors' },
});
