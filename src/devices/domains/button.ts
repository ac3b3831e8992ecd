import { noParams } from './params.js';
import { defineDomain } from './types.js';

export const button = defineDomain({
  name: 'button',
  operations: { press: { params: noParams, mqttPayload: ['payload_press', 'PRESS'] } },
  risk: 'low',
  mqtt: { component: true },
  ui: { control: 'press', group: 'Buttons' },
});
