import { z } from 'zod';
import { defineDomain } from './types.js';

export const select = defineDomain({
  name: 'select',
  operations: {
    select_option: {
      params: z.looseObject({ option: z.string() }),
      expect: (p: Record<string, unknown>) => (typeof p.option === 'string' ? p.option : undefined),
    },
  },
  risk: 'low',
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { group: 'Settings' },
});
