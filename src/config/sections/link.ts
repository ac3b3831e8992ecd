import { z } from 'zod';

export const linkSection = z
  .strictObject({
    url: z.string().url().optional().describe('Cloud broker URL, such as mqtts://relay.example:8883. No link unless set.'),
    hub_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only').optional().describe('This hub\'s id under hearth/v1/.'),
    username: z.string().optional().describe('Username at the cloud broker.'),
    password: z.string().optional().describe('Password at the cloud broker.').meta({ secret: true }),
    ca: z.string().optional().describe('PEM file of the CA that signs the broker\'s certificate.'),
    cert: z.string().optional().describe('PEM client certificate, for brokers that want one.'),
    key: z.string().optional().describe('PEM key for the client certificate.').meta({ secret: true }),
  })
  .describe('The hybrid link to a cloud MQTT broker.');
