import { z } from 'zod';
import { noParams } from './params.js';
import { defineDomain } from './types.js';

export const climate = defineDomain({
  name: 'climate',
  operations: {
    set_temperature: { params: z.looseObject({ temperature: z.coerce.number(), hvac_mode: z.string().optional() }) },
    set_hvac_mode: {
      params: z.looseObject({ hvac_mode: z.string() }),
      expect: (p: Record<string, unknown>) => (typeof p.hvac_mode === 'string' ? p.hvac_mode : undefined),
    },
    turn_on: { params: noParams },
    turn_off: { params: noParams, expect: 'off' },
  },
  risk: 'low',
  words: {
    nouns: ['thermostat', 'heating', 'heater', 'climate', 'ac', 'aircon', 'hvac'],
    actions: { on: 'turn_on', off: 'turn_off', set: 'set_temperature' },
    states: ['on', 'off'],
  },
  mqtt: { component: true, stateTopics: ['mode_state_topic'] },
  ui: { control: 'thermostat', group: 'Comfort' },
});
