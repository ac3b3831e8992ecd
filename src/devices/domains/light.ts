import { z } from 'zod';
import { onOffOperations, percent } from './params.js';
import { defineDomain } from './types.js';

export const light = defineDomain({
  name: 'light',
  operations: onOffOperations(z.looseObject({ brightness: z.coerce.number().min(0).max(255).optional(), brightness_pct: percent.optional() })),
  risk: 'low',
  words: {
    nouns: ['light', 'lamp', 'lighting', 'bulb'],
    actions: { on: 'turn_on', off: 'turn_off', toggle: 'toggle', set: 'turn_on', dim: 'turn_on' },
    states: ['on', 'off'],
  },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'dimmer', group: 'Lights' },
});
