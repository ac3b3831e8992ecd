import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { OWNER, api, auditKinds, expectNotLogged, login, sessionCookie, setupCode, setupOwner } from './helpers.js';

describe('sign-in with a password', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('sets an HttpOnly, SameSite=Strict session cookie that /auth/me accepts, audited', async () => {
    t = await startTestHub({ settings: { http: { session_ttl_hours: 2 } } });
    await setupOwner(t);
    const res = await api(t, 'POST', '/auth/login', { body: { username: 'ALICE', password: OWNER.password } });
    expect(res.status).toBe(200);
    expect(res.body.member).toMatchObject({ username: 'alice', role: 'owner' });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('hearth_session='))!;
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Strict/i);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; Max-Age=7200/);
    expect(setCookie).not.toMatch(/Secure/i); // plain HTTP here
    const cookie = sessionCookie(res);
    const me = await api(t, 'GET', '/auth/me', { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ via: 'session', member: { username: 'alice' } });
    expect((await api(t, 'GET', '/auth/me')).status).toBe(401);
    expect((await api(t, 'GET', '/auth/me', { cookie: 'hearth_session=not-a-real-session-token-at-all' })).status).toBe(401);
    const ok = auditKinds(t, 'auth.login');
    expect(ok).toHaveLength(1);
    expect(ok[0]!.data).toMatchObject({ username: 'alice', ip: '127.0.0.1' });
    expectNotLogged(t, [OWNER.password, cookie.split('=')[1]!]);
  });

  it('answers a wrong password and an unknown user the same way, audits both, then rate limits with Retry-After', async () => {
    t = await startTestHub();
    await setupOwner(t);
    const wrong = await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: 'wrong password 1' } });
    const unknown = await api(t, 'POST', '/auth/login', { body: { username: 'bob', password: 'wrong password 2' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const failed = auditKinds(t, 'auth.login.failed');
    expect(failed.map((e) => e.data.username).sort()).toEqual(['alice', 'bob']);
    for (const e of failed) {
      expect(e.data.ip).toBe('127.0.0.1');
      expect(JSON.stringify(e)).not.toContain('wrong password');
    }
    for (let i = 3; i <= 6; i++)
      expect((await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: `wrong password ${i}` } })).status).toBe(401);
    // Five failures for alice: now even the right password waits.
    const limited = await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: OWNER.password } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(auditKinds(t, 'auth.login.failed').some((e) => e.data.reason === 'rate_limited')).toBe(true);
    expectNotLogged(t, ['wrong password', OWNER.password]);
  });

  it('lets the limit lapse with time, and ends sessions at logout and at expiry', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    t = await startTestHub({ clock, settings: { http: { session_ttl_hours: 1 } } });
    await setupOwner(t);
    for (let i = 0; i < 5; i++) await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: 'not the password' } });
    expect((await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: OWNER.password } })).status).toBe(429);
    clock.advance(2 * 60_000);
    const cookie = await login(t, 'alice', OWNER.password);

    const out = await api(t, 'POST', '/auth/logout', { cookie });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/hearth_session=;/);
    expect((await api(t, 'GET', '/auth/me', { cookie })).status).toBe(401);
    expect(auditKinds(t, 'auth.logout')).toHaveLength(1);

    const second = await login(t, 'alice', OWNER.password);
    expect((await api(t, 'GET', '/auth/me', { cookie: second })).status).toBe(200);
    clock.advance(61 * 60_000);
    const expired = await api(t, 'GET', '/auth/me', { cookie: second });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses disabled members at sign-in and ends their sessions', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const bob = (
      await api(t, 'POST', '/members', { cookie: owner, body: { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bobs long password' } })
    ).body;
    const bobCookie = await login(t, 'bob', 'bobs long password');
    expect((await api(t, 'PATCH', `/members/${bob.id}`, { cookie: owner, body: { disabled: true } })).status).toBe(200);
    expect((await api(t, 'GET', '/auth/me', { cookie: bobCookie })).status).toBe(401);
    const res = await api(t, 'POST', '/auth/login', { body: { username: 'bob', password: 'bobs long password' } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('rejects malformed and unknown-field bodies with 400 and the error shape', async () => {
    t = await startTestHub();
    await setupOwner(t);
    const bad = await api(t, 'POST', '/auth/login', { raw: '{"username": "alice", "password": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('MALFORMED_JSON');
    const extra = await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: OWNER.password, remember: true } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('VALIDATION_FAILED');
    const wrongType = await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: 12345678901 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('marks the cookie Secure when the hub serves TLS', async () => {
    const dir = tempDir('hearth-tls-');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      {
        stdio: 'ignore',
      },
    );
    t = await startTestHub({ settings: { http: { tls_cert: cert, tls_key: key } } });
    const port = t.hub.http.boundPort;
    const post = (path: string, body: unknown) =>
      new Promise<{ status: number; setCookie: string[] }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: `/api/v1${path}`, method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [] }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const res = await post('/setup', { setup_code: setupCode(t), ...OWNER });
    expect(res.status).toBe(201);
    const cookie = res.setCookie.find((c) => c.startsWith('hearth_session='))!;
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; HttpOnly/i);
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the cookie Secure behind a trusted TLS proxy, and not when the proxy is not trusted', async () => {
    t = await startTestHub({ settings: { http: { trust_proxy: true } } });
    await setupOwner(t);
    const proxied = await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: OWNER.password }, headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers.getSetCookie().find((c) => c.startsWith('hearth_session='))).toMatch(/; Secure/i);
    await t.stop();
    t = await startTestHub();
    await setupOwner(t);
    const direct = await api(t, 'POST', '/auth/login', { body: { username: 'alice', password: OWNER.password }, headers: { 'x-forwarded-proto': 'https' } });
    expect(direct.headers.getSetCookie().find((c) => c.startsWith('hearth_session='))).not.toMatch(/Secure/i);
  });
});
