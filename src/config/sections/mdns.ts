import { z } from 'zod';

export const mdnsSection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Announce the web UI on the home network over mDNS/DNS-SD, so phones find it as http://hearth.local:8080. Only when the UI listens beyond loopback.',
      ),
    hostname: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'expected a host name of letters, digits and dashes, such as hearth' })
      .default('hearth')
      .describe('The host name announced, without .local.'),
    name: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe("The service's name in a phone's or laptop's list of devices; default: the home's name (hub.name) followed by “Hearth”."),
  })
  .describe('Finding the hub on the home network by name (mDNS).');
