import { noParams } from './params.js';
import { defineDomain } from './types.js';

export const scene = defineDomain({
  name: 'scene',
  operations: { turn_on: { params: noParams, mqttPayload: ['payload_on', 'ON'] } },
  risk: 'low',
  words: { actions: { on: 'turn_on' } },
  mqtt: { component: true },
  ui: { control: 'activate', group: 'Scenes' },
});
