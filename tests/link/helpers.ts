import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import type { LinkService } from '../../src/link/service.js';
import type { TestHub } from '../helpers/hub.js';
import type { Mosquitto, Pki } from '../helpers/mosquitto.js';

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
