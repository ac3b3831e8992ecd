import { z } from 'zod';

export const linkSection = z
  .strictObject({
    url: z.string().url().optional().describe('Cloud broker URL, such as mqtts://relay.example:8883. No link unless set.'),
    hub_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
      .optional()
      .describe("This hub's id under hearth/v1/."),
    username: z.string().optional().describe('Username at the cloud broker.'),
    password: z.string().optional().describe('Password at the cloud broker.').meta({ secret: true }),
    ca: z.string().optional().describe("PEM file of the CA that signs the broker's certificate."),
    cert: z.string().optional().describe('PEM client certificate, for brokers that want one.'),
    key: z.string().optional().describe('PEM key for the client certificate.').meta({ secret: true }),
    relay_public_key: z
      .string()
      .optional()
      .describe('Ed25519 public key of the relay (PEM text or a PEM file path); down commands and RPC requests must be signed by it.'),
    keepalive_s: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(30)
      .describe('MQTT keepalive; the broker publishes the last will after 1.5 times this without traffic.'),
    session_expiry_s: z
      .number()
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(7 * 24 * 3600)
      .describe("How long the broker keeps this hub's session (subscriptions, queued commands) while it is offline."),
    reconnect_min_ms: z.number().int().min(100).max(600_000).default(1000).describe('First reconnect delay; doubles per failure, with jitter.'),
    reconnect_max_ms: z.number().int().min(1000).max(3_600_000).default(60_000).describe('Longest reconnect delay.'),
    auth_retry_ms: z
      .number()
      .int()
      .min(1000)
      .max(3_600_000)
      .default(60_000)
      .describe('Reconnect delay after the broker refused the credentials (no storm of logins with a wrong password).'),
    outbox_max_rows: z
      .number()
      .int()
      .min(100)
      .max(10_000_000)
      .default(100_000)
      .describe('Upstream outbox bound. When full, the oldest telemetry goes first, then the oldest events; audit entries and alerts are never dropped.'),
    publish_window: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(32)
      .describe('QoS 1 messages in flight at once; order is kept and the receiver drops repeats by id.'),
    rpc_timeout_ms: z.number().int().min(100).max(300_000).default(10_000).describe('Longest time an RPC handler may take before the hub answers TIMEOUT.'),
    command_max_ttl_s: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(3600)
      .describe('Down commands whose expiry lies further ahead than this are refused (bounds the replay memory).'),
    telemetry_interval_s: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .refine((n) => n === 0 || n >= 60, 'use 0 (off) or at least 60 seconds')
      .default(300)
      .describe("How often the hub sends a health snapshot (each component's state) up the link; 0 turns it off."),
    backup_to_relay: z.boolean().default(true).describe('Send each automatic backup (already encrypted with the backup passphrase) to the relay as well.'),
    backup_chunk_kb: z
      .number()
      .int()
      .min(4)
      .max(4096)
      .default(128)
      .describe("Size of the pieces a backup is sent to the relay in (stay under the broker's message size limit)."),
  })
  .describe('The hybrid link to a cloud MQTT broker.')
  // The link service reads its whole section once, when it is made.
  .meta({ restart: true });
