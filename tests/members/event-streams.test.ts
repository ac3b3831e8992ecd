import { afterEach, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, createMember, login, setupOwner } from './helpers.js';
import { waitFor } from '../devices/helpers.js';
import { ManualClock } from '../../src/core/clock.js';

let hubs: TestHub[] = [];
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) c.abort();
  for (const h of hubs.reverse()) await h.stop();
  hubs = [];
});

type Streams = { clientCount: number; name: string; start(): void; stop(): void };
const streamsOf = (t: TestHub) => t.hub.services.get<Streams>('web.events')!;

/** Opens GET /events with a cookie or a bearer token; the answer's body is the open stream. */
async function openStream(t: TestHub, auth: { cookie?: string; token?: string }) {
  const controller = new AbortController();
  controllers.push(controller);
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  return fetch(`${t.url}/api/v1/events`, { headers, signal: controller.signal });
}

/** Reads a stream to its end; resolves only when the server ended it. */
async function ended(res: Response): Promise<true> {
  const reader = res.body!.getReader();
  for (;;) if ((await reader.read()).done) return true;
}

async function tokenFor(t: TestHub, cookie: string, body: Record<string, unknown> = { name: 'script' }) {
  const res = await api(t, 'POST', '/tokens', { cookie, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; token: string };
}

describe('event streams opened with an API token', () => {
  it('end when the token is revoked, and only those', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const owner = await setupOwner(t);
    const revoked = await tokenFor(t, owner, { name: 'old script' });
    const kept = await tokenFor(t, owner, { name: 'new script' });
    const [a, b] = await Promise.all([openStream(t, { token: revoked.token }), openStream(t, { token: kept.token })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await waitFor(() => streamsOf(t).clientCount === 2, 'both streams to open');
    expect((await api(t, 'DELETE', `/tokens/${revoked.id}`, { cookie: owner })).status).toBe(204);
    expect(await ended(a)).toBe(true);
    await waitFor(() => streamsOf(t).clientCount === 1, "the revoked token's stream to close");
    // The stream opened with the other token goes on.
    expect((await api(t, 'GET', '/auth/me', { token: kept.token })).status).toBe(200);
  });

  it('end when the token expires', async () => {
    const clock = new ManualClock(Date.now());
    const t = await startTestHub({ settings: { mqtt: { port: 0 } }, clock });
    hubs.push(t);
    const owner = await setupOwner(t);
    const short = await tokenFor(t, owner, { name: 'one day', expires_in_days: 1 });
    const res = await openStream(t, { token: short.token });
    expect(res.status).toBe(200);
    await waitFor(() => streamsOf(t).clientCount === 1, 'the stream to open');
    clock.advance(2 * 86_400_000);
    // The next event on the bus finds the stream expired.
    t.hub.ctx.bus.emit('entity.removed', { entity_id: 'sensor.anything' } as never);
    expect(await ended(res)).toBe(true);
    expect(streamsOf(t).clientCount).toBe(0);
  });
});

describe('event stream slots', () => {
  it('one member cannot take every slot: their own oldest stream gives way, and the owner still gets one', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const owner = await setupOwner(t);
    await createMember(t, owner, { username: 'gus', display_name: 'Gus', role: 'guest', password: 'guests long password' });
    const guest = await login(t, 'gus', 'guests long password');
    const first = await openStream(t, { cookie: guest });
    expect(first.status).toBe(200);
    const more: Response[] = [];
    for (let i = 0; i < 40; i++) more.push(await openStream(t, { cookie: guest }));
    expect(more.every((r) => r.status === 200)).toBe(true);
    // The guest's first stream was closed to make room for their later ones.
    expect(await ended(first)).toBe(true);
    const held = streamsOf(t).clientCount;
    expect(held).toBeLessThan(41);
    expect(held).toBeLessThanOrEqual(20);
    const mine = await openStream(t, { cookie: owner });
    expect(mine.status).toBe(200);
    await waitFor(() => streamsOf(t).clientCount === held + 1, "the owner's stream to open");
  });
});

describe('HEAD /api/v1/events', () => {
  it("answers with the stream's headers and no body instead of hanging", async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const owner = await setupOwner(t);
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest(`${t.url}/api/v1/events`, { method: 'HEAD', headers: { cookie: owner } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 200, type: 'text/event-stream; charset=utf-8', body: '' });
    expect(streamsOf(t).clientCount).toBe(0);
    // Nobody signed in: refused as a GET would be.
    expect((await fetch(`${t.url}/api/v1/events`, { method: 'HEAD' })).status).toBe(401);
  });
});
