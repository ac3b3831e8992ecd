import { defineDomain } from './types.js';

/** On or off (a door contact, motion, smoke): nothing to operate. */
export const binarySensor = defineDomain({
  name: 'binary_sensor',
  operations: {},
  words: {
    statesByDeviceClass: {
      door: ['open', 'closed'],
      window: ['open', 'closed'],
      garage_door: ['open', 'closed'],
      opening: ['open', 'closed'],
      garage: ['open', 'closed'],
      motion: ['motion'],
      occupancy: ['motion'],
      presence: ['motion'],
    },
  },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'reading', group: 'Sensors' },
});
