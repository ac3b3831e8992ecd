import { z } from 'zod';

// The cloud relay (`hearth relay`) reads this section; the hybrid link's issue fills it in.
export const relaySection = z.strictObject({}).describe('The cloud relay (`hearth relay`).');
