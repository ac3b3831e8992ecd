import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from './helpers.js';

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.reverse()) await h.stop();
  hubs = [];
});

describe('state-changing requests signed in with the session cookie', () => {
  it("are refused from another origin on the same host, and work from the hub's own", async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const owner = await setupOwner(t);
    const own = new URL(t.url);
    const evil = `http://${own.hostname}:${Number(own.port) + 1}`;
    // A page on another port of the same host: same site, so the Strict cookie goes along.
    for (const headers of <Record<string, string>[]>[
      { origin: evil },
      { 'sec-fetch-site': 'same-site', origin: evil },
      { referer: `${evil}/attack.html` },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await api(t, 'POST', '/auth/logout', { cookie: owner, headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body.error.code).toBe('CROSS_ORIGIN');
      const token = await api(t, 'POST', '/tokens', { cookie: owner, headers, body: { name: 'stolen' } });
      expect(token.status).toBe(403);
    }
    // The session was not ended by any of them.
    expect((await api(t, 'GET', '/auth/me', { cookie: owner })).status).toBe(200);
    // Reading is not refused (the browser keeps cross-origin answers from the page anyway).
    expect((await api(t, 'GET', '/auth/me', { cookie: owner, headers: { origin: evil } })).status).toBe(200);
    // A bearer token is exempt: a browser never attaches it on its own.
    const made = await api(t, 'POST', '/tokens', { cookie: owner, headers: { origin: t.url, 'sec-fetch-site': 'same-origin' }, body: { name: 'script' } });
    expect(made.status).toBe(201);
    const viaToken = await api(t, 'POST', '/notifications/ntf_missing/ack', { token: made.body.token, headers: { origin: evil } });
    expect(viaToken.status).toBe(404);
    // The hub's own pages (and clients that send no origin at all) go through.
    expect((await api(t, 'POST', '/auth/logout', { cookie: owner, headers: { origin: t.url } })).status).toBe(204);
  });
});
