import { z } from 'zod';
import { defineDomain } from './types.js';

export const numberDomain = defineDomain({
  name: 'number',
  operations: {
    set_value: {
      params: z.looseObject({ value: z.coerce.number() }),
      expect: (p: Record<string, unknown>) => (p.value === undefined ? undefined : String(p.value)),
    },
  },
  risk: 'low',
  words: { actions: { set: 'set_value' } },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { group: 'Settings' },
});
