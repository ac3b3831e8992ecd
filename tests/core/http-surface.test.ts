import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { setupOwner } from '../cli/owner.js';

/** Bad input is a 4xx with the error shape, never a 5xx; the documents and probes a deployment relies on. */
describe('HTTP surface', () => {
  let t: TestHub;
  let cookie: string;
  beforeAll(async () => {
    t = await startTestHub();
    cookie = await setupOwner(t.url, t.dataDir);
  });
  afterAll(async () => t.stop());

  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method, body, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } });
  const expectError = async (res: Response, status: number, code?: string) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
    // `field` names the input concerned, when there is one (a form shows the error beside it).
    const field = body.error.field !== undefined ? { field: expect.any(String) } : {};
    expect(body).toEqual({ error: { code: code ?? expect.any(String), message: expect.any(String), ...field } });
    return body.error;
  };

  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    await expectError(await send('POST', '/api/v1/auth/login', '{"username": "a", '), 400, 'MALFORMED_JSON');
  });

  it('an oversized body → 413 BODY_TOO_LARGE', async () => {
    const big = JSON.stringify({ username: 'a', password: 'x'.repeat(300_000) });
    await expectError(await send('POST', '/api/v1/auth/login', big), 413, 'BODY_TOO_LARGE');
  });

  it('a wrong type → 400 VALIDATION_FAILED naming the field', async () => {
    const e = await expectError(await send('POST', '/api/v1/auth/login', JSON.stringify({ username: 5, password: 'x' })), 400, 'VALIDATION_FAILED');
    expect(e.message).toContain('username');
    expect(e.field).toBe('username');
  });

  it('an unknown field on a strict body → 400 naming it', async () => {
    const e = await expectError(
      await send('POST', '/api/v1/auth/login', JSON.stringify({ username: 'a', password: 'b', pasword: 'c' })),
      400,
      'VALIDATION_FAILED',
    );
    expect(e.message).toContain('pasword');
  });

  it('a body that is not an object, an empty body, a foreign content type → 4xx', async () => {
    for (const body of ['[]', '"text"', '42', 'null']) {
      const res = await send('POST', '/api/v1/auth/login', body);
      expect(res.status).toBe(400);
    }
    expect((await send('POST', '/api/v1/auth/login', '')).status).toBe(400);
    await expectError(
      await send('POST', '/api/v1/auth/login', 'username=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('unknown routes and methods → 404 with the error shape', async () => {
    await expectError(await send('GET', '/api/v1/nope'), 404, 'NOT_FOUND');
    await expectError(await send('DELETE', '/api/v1/health'), 404, 'NOT_FOUND');
    await expectError(await send('GET', '/api/v2/health'), 404, 'NOT_FOUND');
  });

  it('no session, a forged cookie, a forged bearer → 401', async () => {
    await expectError(await send('GET', '/api/v1/audit'), 401, 'UNAUTHENTICATED');
    await expectError(await send('GET', '/api/v1/audit', undefined, { cookie: 'hearth_session=forged' }), 401);
    await expectError(await send('GET', '/api/v1/audit', undefined, { authorization: 'Bearer forged' }), 401);
  });

  it('bad query parameters → 400', async () => {
    await expectError(await send('GET', '/api/v1/audit?limit=abc', undefined, { cookie }), 400, 'VALIDATION_FAILED');
    await expectError(await send('GET', '/api/v1/audit?limit=100000', undefined, { cookie }), 400);
    await expectError(await send('GET', '/api/v1/audit?since=yesterday', undefined, { cookie }), 400);
    await expectError(await send('GET', '/api/v1/audit?color=red', undefined, { cookie }), 400);
  });

  it('no route answers junk with a 5xx (every route in the OpenAPI document, signed in and not)', async () => {
    const doc = (await (await fetch(`${t.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const junk = ['{', '[]', '{"a":1}', JSON.stringify({ username: {}, password: [], role: 'emperor', settings: 'x' }), '\u0000'];
    const statuses: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (/logout|setup/.test(path)) continue; // would end the session, or is closed already
      const concrete = path.replace(/\{[^}]+\}/g, 'zz_missing');
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        if (method === 'GET' && /events/.test(path)) continue; // a stream that stays open
        for (const body of method === 'GET' || method === 'DELETE' ? [undefined] : junk) {
          for (const auth of [{}, { cookie }] as Record<string, string>[]) {
            const res = await send(method, `${concrete}?limit=-1&x=%00`, body, auth);
            await res.arrayBuffer();
            if (res.status >= 500) statuses.push(`${method} ${concrete} ${body ?? ''} → ${res.status}`);
          }
        }
      }
    }
    expect(statuses).toEqual([]);
  });

  it('serves the OpenAPI document listing the routes, and a browsable UI', async () => {
    const res = await fetch(`${t.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Hearth API');
    for (const p of ['/api/v1/health', '/api/v1/audit', '/api/v1/audit/verify', '/api/v1/setup', '/api/v1/auth/login', '/api/v1/settings']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    const ui = await fetch(`${t.url}/api/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('/metrics has process and HTTP metrics in Prometheus text format', async () => {
    await fetch(`${t.url}/api/v1/health`);
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^hearth_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^hearth_process_cpu_seconds_total /m);
    expect(text).toMatch(/^hearth_nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^hearth_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} \d+/m);
    expect(text).toMatch(/^hearth_http_request_duration_seconds_bucket\{/m);
  });

  it('sets security headers on API answers and pages', async () => {
    for (const path of ['/api/v1/health', '/', '/api/v1/nope']) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      if (path.startsWith('/api/')) expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });
});
