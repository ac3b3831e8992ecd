import { z } from 'zod';

export const homeassistantSection = z
  .strictObject({
    url: z
      .string()
      .url()
      .refine((u) => /^(https?|wss?):\/\//i.test(u), 'expected an http://, https://, ws:// or wss:// URL')
      .optional().describe('Home Assistant base URL, such as http://homeassistant.local:8123.'),
    token: z.string().min(1).optional().describe('A long-lived access token from your Home Assistant profile.').meta({ secret: true }),
  })
  .describe('The Home Assistant bridge (off unless url and token are set).');
