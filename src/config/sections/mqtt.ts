import { z } from 'zod';

export const mqttSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the embedded LAN MQTT broker.').meta({ restart: true }),
    host: z.string().default('0.0.0.0').describe('Address the LAN broker listens on.').meta({ restart: true }),
    port: z.number().int().min(0).max(65535).default(1883).describe('Port of the LAN broker (0 picks a free one).').meta({ restart: true }),
    allow_anonymous: z.boolean().default(false).describe('Let devices connect without credentials (off by default).'),
    tls_port: z.number().int().min(0).max(65535).optional().describe('Port of an optional TLS listener.').meta({ restart: true }),
    tls_cert: z.string().optional().describe('PEM certificate file for the TLS listener.').meta({ restart: true }),
    tls_key: z.string().optional().describe('PEM key file for the TLS listener.').meta({ secret: true, restart: true }),
    max_packet_bytes: z
      .number()
      .int()
      .min(1024)
      .max(268_435_455)
      .default(262_144)
      .describe('Largest MQTT packet accepted; larger ones disconnect the client before they are buffered.'),
    max_topic_levels: z.number().int().min(1).max(1000).default(16).describe('Most levels a topic may have.'),
    max_queued_bytes: z
      .number()
      .int()
      .min(65_536)
      .default(64 * 1024 * 1024)
      .describe('Most bytes of QoS 1/2 messages kept, all together, for devices offline with a persistent session; past it the oldest are dropped.'),
    max_connections: z.number().int().min(1).default(200).describe('Most concurrent client connections.'),
    messages_per_second: z
      .number()
      .min(1)
      .default(100)
      .describe('Sustained publishes per client per second before it is disconnected.')
      .meta({ restart: true }),
    message_burst: z.number().int().min(1).default(500).describe('Publishes a client may send in a burst.').meta({ restart: true }),
  })
  .describe('The embedded LAN MQTT broker (MQTT 3.1.1) for devices.');
