import { noParams } from './params.js';
import { defineDomain } from './types.js';

/** Cameras come from Home Assistant only (MQTT discovery's camera is an image topic). */
export const camera = defineDomain({
  name: 'camera',
  operations: {
    turn_on: { params: noParams },
    turn_off: { params: noParams, expect: 'off', risk: 'high' },
    disable_motion_detection: { params: noParams, risk: 'high' },
    enable_motion_detection: { params: noParams },
  },
  risk: 'low',
  words: { nouns: ['camera'], actions: { on: 'turn_on', off: 'turn_off' }, states: ['on', 'off'] },
  ui: { group: 'Doors and security' },
});
