import { z } from 'zod';
import { noParams, percent } from './params.js';
import { defineDomain } from './types.js';

export const cover = defineDomain({
  name: 'cover',
  operations: {
    open_cover: { params: noParams, expect: 'open', risk: 'low', mqttPayload: ['payload_open', 'OPEN'] },
    close_cover: { params: noParams, expect: 'closed', risk: 'low', mqttPayload: ['payload_close', 'CLOSE'] },
    stop_cover: { params: noParams, risk: 'low', mqttPayload: ['payload_stop', 'STOP'] },
    set_cover_position: {
      params: z.looseObject({ position: percent }),
      expect: (p: Record<string, unknown>) => (Number(p.position) > 0 ? 'open' : 'closed'),
    },
  },
  risk: 'low',
  // A garage door opens the home: its device class (or a name that says garage) raises the risk.
  riskByDeviceClass: { garage: { open_cover: 'high', set_cover_position: 'high', close_cover: 'low', stop_cover: 'low' } },
  words: {
    nouns: ['cover', 'blind', 'shade', 'curtain', 'shutter'],
    actions: { open: 'open_cover', close: 'close_cover', set: 'set_cover_position', stop: 'stop_cover' },
    states: ['open', 'closed'],
  },
  mqtt: { component: true, stateTopics: ['state_topic', 'position_topic'] },
  ui: { control: 'open_close', group: 'Doors and security' },
});
