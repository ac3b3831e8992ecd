import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import type { LinkService } from '../../src/link/service.js';
import type { TestHub } from '../helpers/hub.js';
import type { Mosquitto, Pki } from '../helpers/mosquitto.js';
import { parseSettings } from '../../src/config/load.js';
import type { Settings } from '../../src/config/schema.js';
import { silentLogger } from '../../src/core/logger.js';
import { Relay } from '../../src/relay/index.js';
import { waitFor } from '../helpers/mosquitto.js';

export const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

export function linkOf(t: TestHub): LinkService {
  const link = t.hub.services.get<LinkService>('link');
  if (!link) throw new Error('no link service');
  return link;
}

/** A real mqtt.js client on the test broker, connected (or rejected). */
export function connectClient(broker: Mosquitto, pki: Pki, username: string, password: string, extra: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(broker.url, {
      protocolVersion: 5,
      username,
      password,
      ca: readFileSync(pki.caCert),
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...extra,
    });
    const onError = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('error', onError);
    client.once('connect', () => {
      client.off('error', onError); // later errors (a broker restart) are the auto-reconnect's business
      client.on('error', () => {});
      resolve(client);
    });
  });
}

export function ed25519(): { privateKey: KeyObject; publicKey: KeyObject; publicPem: string; privatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The `link` settings for a hub on the test broker. */
export function linkSettings(broker: Mosquitto, pki: Pki, hubId: string, password: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: broker.url, hub_id: hubId, username: hubId, password, ca: pki.caCert, reconnect_min_ms: 200, reconnect_max_ms: 1000, ...extra };
}

/**
 * A relay's settings on a test broker: its MQTT login (`relay`), the test CA, loopback, and HTTPS
 * with the test server certificate on a free port, unless `extra` says otherwise (`tls_cert:
 * undefined` for plain HTTP, as Twilio's fake calls it).
 */
export function relaySettings(broker: Mosquitto, pki: Pki, password: string, extra: Record<string, unknown>): Settings {
  return parseSettings({
    relay: {
      broker_url: broker.url,
      username: 'relay',
      password,
      ca: pki.caCert,
      host: '127.0.0.1',
      port: 0,
      tls_cert: pki.serverCert,
      tls_key: pki.serverKey,
      ...extra,
    },
  });
}

/** A relay in this process on `settings`, started and online at its broker. */
export async function startRelay(settings: Settings): Promise<Relay> {
  const relay = await Relay.create(settings, silentLogger());
  await relay.start();
  await waitFor(() => relay.broker.online, 'the relay online at its broker');
  return relay;
}
