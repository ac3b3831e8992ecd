import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import { registryOf } from './helpers.js';
import { entitySchema } from '../../src/devices/model.js';
import { z } from 'zod';

/** GET with node:http, so that the bytes on the wire are seen (fetch would unzip them). */
function raw(t: TestHub, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}/api/v1${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const listSchema = z.strictObject({ entities: z.array(entitySchema.strict()) });

describe('GET /api/v1/entities: one body per change, gzipped when asked, never stale', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('sends the contract body, plain or gzipped as the client accepts, the same list either way', async () => {
    t = await startTestHub();
    const cookie = await setupOwner(t);
    const registry = registryOf(t);
    for (let i = 0; i < 20; i++) registry.upsert({ id: `sensor.room_${i}`, name: `Room ${i} °C`, domain: 'sensor', state: String(20 + i), source: 'test' });

    const plain = await raw(t, '/entities', { cookie, 'accept-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    const list = listSchema.parse(JSON.parse(plain.body.toString('utf8')));
    expect(list.entities.filter((e) => e.source === 'test')).toHaveLength(20);
    expect(plain.body.toString('utf8')).toBe(JSON.stringify({ entities: registry.list() }));

    const zipped = await raw(t, '/entities', { cookie, 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.headers.etag).toBe(plain.headers.etag);

    // gzip refused with q=0: plain.
    expect((await raw(t, '/entities', { cookie, 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    // A 304 for the tag among others, with or without W/ (weak comparison).
    const tag = String(plain.headers.etag);
    expect((await raw(t, '/entities', { cookie, 'if-none-match': `"other", ${tag}` })).status).toBe(304);
    expect((await raw(t, '/entities', { cookie, 'if-none-match': tag.replace(/^W\//, '') })).status).toBe(304);
    expect((await raw(t, '/entities', { cookie, 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('shows every kind of change at once: state, availability, a rename, a new and a removed entity', async () => {
    t = await startTestHub();
    const cookie = await setupOwner(t);
    const registry = registryOf(t);
    for (let i = 0; i < 5; i++) registry.upsert({ id: `light.lamp_${i}`, name: `Lamp ${i}`, domain: 'light', state: 'off', source: 'test' });
    const get = async (accept = 'identity') => {
      const r = await raw(t!, '/entities?source=test', { cookie, 'accept-encoding': accept });
      const text = (r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString('utf8');
      const body = listSchema.parse(JSON.parse(text));
      expect(text).toBe(JSON.stringify({ entities: registry.list({ source: 'test' }) })); // never an older body
      return { etag: String(r.headers.etag), byId: new Map(body.entities.map((e) => [e.id, e])) };
    };
    const tags = new Set<string>();
    const seen = async () => {
      const plain = await get();
      const zipped = await get('gzip');
      expect(zipped.etag).toBe(plain.etag);
      tags.add(plain.etag);
      return plain.byId;
    };

    expect((await seen()).get('light.lamp_0')?.state).toBe('off');
    registry.setState('light.lamp_0', 'on', { brightness: 200 });
    expect((await seen()).get('light.lamp_0')).toMatchObject({ state: 'on', attributes: { brightness: 200 } });
    registry.setAvailable('light.lamp_1', false);
    expect((await seen()).get('light.lamp_1')?.available).toBe(false);
    const renamed = await api(t, 'PATCH', '/entities/light.lamp_2', { cookie, body: { name: 'Reading lamp', area: 'Study' } });
    expect(renamed.status).toBe(200);
    expect((await seen()).get('light.lamp_2')).toMatchObject({ name: 'Reading lamp', area: 'Study', source_name: 'Lamp 2' });
    registry.setAliases('light.lamp_3', ['the big one']);
    expect((await seen()).get('light.lamp_3')?.aliases).toEqual(['the big one']);
    registry.upsert({ id: 'light.lamp_9', name: 'Lamp 9', domain: 'light', state: 'on', source: 'test' });
    expect((await seen()).has('light.lamp_9')).toBe(true);
    registry.remove('light.lamp_4');
    expect((await seen()).has('light.lamp_4')).toBe(false);
    expect(tags.size).toBe(7); // a new tag for every change
  });
});
