import { z } from 'zod';
import { onOffOperations, percent } from './params.js';
import { defineDomain } from './types.js';

export const fan = defineDomain({
  name: 'fan',
  operations: {
    ...onOffOperations(),
    set_percentage: { params: z.looseObject({ percentage: percent }), expect: (p: Record<string, unknown>) => (Number(p.percentage) > 0 ? 'on' : 'off') },
  },
  risk: 'low',
  words: { nouns: ['fan'], actions: { on: 'turn_on', off: 'turn_off', toggle: 'toggle', set: 'set_percentage' }, states: ['on', 'off'] },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'toggle', group: 'Comfort' },
});
