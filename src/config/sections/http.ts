import { z } from 'zod';

export const httpSection = z
  .strictObject({
    host: z.string().default('0.0.0.0').describe('Address the web UI and API listen on.').meta({ restart: true }),
    port: z.number().int().min(0).max(65535).default(8080).describe('Port of the web UI and API (0 picks a free one).').meta({ restart: true }),
    body_limit_bytes: z.number().int().min(1024).max(10_485_760).default(262_144).describe('Largest request body accepted.').meta({ restart: true }),
    tls_cert: z.string().optional().describe('PEM certificate file; with tls_key, serves HTTPS and marks cookies Secure.').meta({ restart: true }),
    tls_key: z.string().optional().describe('PEM private key file for tls_cert.').meta({ secret: true, restart: true }),
    trust_proxy: z.boolean().default(false).describe('Trust X-Forwarded-* from a reverse proxy in front of the hub.').meta({ restart: true }),
    session_ttl_hours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24 * 14)
      .describe('How long a login session lasts.'),
  })
  .describe('The web UI and HTTP API.');
