import { z } from 'zod';

/** A relay account: a support engineer (console) or a cloud service (sends down commands). */
const accountSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/),
  name: z.string().min(1).max(200),
  role: z.enum(['engineer', 'service']).default('engineer'),
  /** `scrypt$<salt hex>$<hash hex>`, made by `hearth relay hash-password`. */
  password_hash: z
    .string()
    .regex(/^scrypt\$[0-9a-f]+\$[0-9a-f]+$/)
    .optional(),
  /** SHA-256 hex of a bearer token, made by `hearth relay hash-token`. */
  token_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type RelayAccount = z.output<typeof accountSchema>;

// The cloud relay (`hearth relay`) reads only this section; a hub's Twilio token reaches it only over the signed RPC (hybrid telephony).
export const relaySection = z
  .strictObject({
    broker_url: z.string().url().optional().describe('The cloud broker, such as mqtts://broker.example:8883.'),
    username: z.string().optional().describe("The relay's username at the broker (its ACL reaches every hub)."),
    password: z.string().optional().describe("The relay's password at the broker.").meta({ secret: true }),
    ca: z.string().optional().describe("PEM file of the CA that signs the broker's certificate."),
    cert: z.string().optional().describe('PEM client certificate for the broker.'),
    key: z.string().optional().describe('PEM key for the client certificate.').meta({ secret: true }),
    instance_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional()
      .describe("This relay's stable id (MQTT client id and RPC reply topic); default: derived from the host name."),
    shared_group: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .default('hearth-relays')
      .describe("MQTT 5 shared-subscription group: relays in one group share hubs' up/events."),
    session_expiry_s: z
      .number()
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(3600)
      .describe('How long the broker queues up/events for this relay while it is away.'),
    host: z.string().default('0.0.0.0').describe("Address of the relay's HTTPS API."),
    port: z.number().int().min(0).max(65535).default(8443).describe("Port of the relay's HTTPS API (0 picks a free one)."),
    tls_cert: z.string().optional().describe("PEM certificate of the relay's HTTPS API; plain HTTP without it (behind a TLS proxy only)."),
    tls_key: z.string().optional().describe('PEM key of tls_cert.').meta({ secret: true }),
    signing_key: z
      .string()
      .optional()
      .describe('Ed25519 private key (PEM file) that signs down commands and RPC requests; hubs trust its public key.')
      .meta({ secret: true }),
    state_file: z
      .string()
      .optional()
      .describe(
        "SQLite file for the relay's store (audit copies, hubs' alerts, health and backup copies); relays on one host may share it. Default: memory only.",
      ),
    database_url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional()
      .describe("PostgreSQL for the relay's store when several relays share it (postgres://user:password@host:5432/db); replaces state_file.")
      .meta({ secret: true }),
    reports_keep: z.number().int().min(10).max(100_000).default(500).describe('Alerts, and health snapshots, kept per hub (each); the oldest go first.'),
    reports_days: z.number().int().min(1).max(3650).default(30).describe('Alerts and health snapshots older than this are deleted.'),
    backups_keep: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(7)
      .describe("Backup copies kept per hub (the relay cannot read them: they are encrypted with the owner's passphrase)."),
    backup_max_mb: z.number().int().min(1).max(4096).default(256).describe('Largest backup copy the relay accepts from a hub.'),
    accounts: z
      .array(accountSchema)
      .default([])
      .describe('Engineers and services allowed to use the API (hashed passwords or tokens only).')
      .meta({ secret: true }),
    rpc_timeout_ms: z.number().int().min(100).max(300_000).default(15_000).describe('How long the relay waits for a hub to answer an RPC.'),
    command_ttl_s: z.number().int().min(10).max(86_400).default(300).describe('Expiry given to signed down commands.'),
    public_url: z
      .url()
      .optional()
      .describe(
        "The relay's public HTTPS address as Twilio sees it; a hub in hybrid mode sets twilio.public_url to <public_url>/hooks/<hub_id>, and signatures are checked against it.",
      ),
    hook_timeout_ms: z
      .number()
      .int()
      .min(500)
      .max(10_000)
      .default(4000)
      .describe("How long the relay waits for a hub's answer to a Twilio webhook before it answers with its own safe TwiML (Twilio gives up after 15 s)."),
    offline_notice_after_s: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(900)
      .describe("After this long offline, the relay texts the hub's owners (once), and again when the hub is back."),
    twilio_api_root: z
      .url()
      .default('https://api.twilio.com')
      .describe("Where the relay's twilio library sends fallback SMS (tests point it at a fake); never taken from a hub."),
  })
  .describe('The cloud relay (`hearth relay`).');
