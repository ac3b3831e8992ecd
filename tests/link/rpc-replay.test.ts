import { afterEach, describe, expect, it } from 'vitest';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { freePort } from '../helpers/mosquitto.js';
import { signBody, topicsFor } from '../../src/link/messages.js';
import { ed25519, linkOf } from './helpers.js';

describe('rpc replay memory', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('refuses a captured request replayed after the hub restarts', async () => {
    const keys = ed25519();
    const closed = await freePort();
    const dataDir = tempDir();
    const settings = { link: { url: `mqtts://127.0.0.1:${closed}`, hub_id: 'hub-rr', relay_public_key: keys.publicPem } };
    const body = { id: 'req_replayed_after_restart', hub_id: 'hub-rr', method: 'ping', params: {}, expires_at: Date.now() + 120_000 };
    const payload = Buffer.from(JSON.stringify({ body, sig: signBody(keys.privateKey, body) }));
    const packet = {
      properties: { responseTopic: `${topicsFor('hub-rr').rpcResPrefix}/relay-1`, correlationData: Buffer.from('c1') },
    } as unknown as IPublishPacket;
    const call = async (): Promise<{ ok: boolean; error?: { code: string } }> => {
      const sent: string[] = [];
      const client = { publish: (_topic: string, message: string) => void sent.push(message) } as unknown as MqttClient;
      await linkOf(t!).rpc!.handle(client, payload, packet);
      return JSON.parse(sent[0]!);
    };

    t = await startTestHub({ dataDir, settings });
    expect(await call()).toMatchObject({ ok: true });
    expect(await call()).toMatchObject({ ok: false, error: { code: 'REPLAYED' } });
    await t.stop();
    t = await startTestHub({ dataDir, settings });
    expect(await call()).toMatchObject({ ok: false, error: { code: 'REPLAYED' } });
  });
});
