import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import { registryOf } from './helpers.js';

describe('GET /api/v1/entities answers a repeat with 304 until something changes', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('ETag, 304 on If-None-Match, a new tag and the new state after a change, per filter', async () => {
    t = await startTestHub();
    const cookie = await setupOwner(t);
    const registry = registryOf(t);
    registry.upsert({ id: 'light.porch', name: 'Porch light', domain: 'light', state: 'off', source: 'test' });
    registry.upsert({ id: 'lock.front_door', name: 'Front door', domain: 'lock', state: 'locked', source: 'test' });

    const first = await api(t, 'GET', '/entities', { cookie });
    expect(first.status).toBe(200);
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^W\/".+"$/); // weak: the plain and the gzipped body are the same list
    // Browsers keep it and revalidate each time; the API's default no-store would make the tag useless.
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(first.body.entities.map((e: { id: string }) => e.id)).toEqual(['light.porch', 'lock.front_door']);

    const again = await api(t, 'GET', '/entities', { cookie, headers: { 'if-none-match': tag } });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();

    const lights = await api(t, 'GET', '/entities?domain=light', { cookie, headers: { 'if-none-match': tag } });
    expect(lights.status).toBe(200); // another filter, another tag
    expect(lights.body.entities).toHaveLength(1);

    registry.setState('light.porch', 'on');
    const changed = await api(t, 'GET', '/entities', { cookie, headers: { 'if-none-match': tag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tag);
    expect(changed.body.entities.find((e: { id: string }) => e.id === 'light.porch').state).toBe('on');

    registry.remove('light.porch');
    const removed = await api(t, 'GET', '/entities', { cookie, headers: { 'if-none-match': changed.headers.get('etag')! } });
    expect(removed.body.entities.map((e: { id: string }) => e.id)).toEqual(['lock.front_door']);

    // Signed out: still 401, whatever the tag.
    expect((await api(t, 'GET', '/entities', { headers: { 'if-none-match': tag } })).status).toBe(401);
  });
});
