import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, auditKinds, createMember, expectNotLogged, login, setupOwner } from './helpers.js';

describe('API tokens', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('shows a token once, stores only its hash, accepts it as a bearer, and refuses it once revoked', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const made = await api(t, 'POST', '/tokens', { cookie: owner, body: { name: 'home script', scopes: ['audit:read'], expires_in_days: 30 } });
    expect(made.status).toBe(201);
    const { token, id } = made.body as { token: string; id: string };
    expect(token).toMatch(/^hth_tok_[0-9a-z]+_[0-9a-z]{32}$/);
    expect(made.body).toMatchObject({ name: 'home script', scopes: ['audit:read'], revoked_at: null });
    const secret = token.split('_').pop()!;

    const listed = await api(t, 'GET', '/tokens', { cookie: owner });
    expect(listed.status).toBe(200);
    expect(listed.body.tokens).toHaveLength(1);
    expect(listed.body.tokens[0]).not.toHaveProperty('token');
    expect(listed.body.tokens[0]).not.toHaveProperty('hash');
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    const me = await api(t, 'GET', '/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ via: 'token', scopes: ['audit:read'], member: { username: 'alice' } });
    // A narrow token cannot manage members, and no token can mint tokens.
    expect((await api(t, 'GET', '/members', { token })).body.error.code).toBe('SCOPE_REQUIRED');
    expect((await api(t, 'POST', '/tokens', { token, body: { name: 'wider' } })).body.error.code).toBe('SESSION_REQUIRED');

    // On disk: the database (and its WAL) hold the hash, never the secret.
    for (const f of readdirSync(t.dataDir).filter((f) => f.startsWith('hearth.db'))) {
      expect(readFileSync(join(t.dataDir, f)).includes(secret), `${f} holds the token secret`).toBe(false);
    }

    expect((await api(t, 'DELETE', `/tokens/${id}`, { cookie: owner })).status).toBe(204);
    const after = await api(t, 'GET', '/auth/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
    expect(auditKinds(t, 'token.created')).toHaveLength(1);
    expect(auditKinds(t, 'token.revoked')).toHaveLength(1);
    expectNotLogged(t, [secret]);
  });

  it('refuses malformed, unknown and tampered bearer tokens', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const { token } = (await api(t, 'POST', '/tokens', { cookie: owner, body: { name: 'x' } })).body as { token: string };
    const tampered = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
    for (const bad of [tampered, 'hth_tok_nope_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'garbage', `${token} extra`]) {
      expect((await api(t, 'GET', '/auth/me', { token: bad })).status).toBe(401);
    }
    // A bad bearer is not rescued by a good cookie.
    expect((await api(t, 'GET', '/auth/me', { token: tampered, cookie: owner })).status).toBe(401);
    expect((await api(t, 'GET', '/auth/me', { token })).status).toBe(200);
  });

  it("lets members manage only their own tokens, and an owner everyone's", async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    await createMember(t, owner, { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bobs long password' });
    const bob = await login(t, 'bob', 'bobs long password');
    const ownerToken = (await api(t, 'POST', '/tokens', { cookie: owner, body: { name: 'owner' } })).body as { id: string };
    const bobToken = (await api(t, 'POST', '/tokens', { cookie: bob, body: { name: 'bob' } })).body as { id: string; token: string };

    const bobList = await api(t, 'GET', '/tokens', { cookie: bob });
    expect(bobList.body.tokens.map((x: { id: string }) => x.id)).toEqual([bobToken.id]);
    expect((await api(t, 'GET', '/tokens', { cookie: owner })).body.tokens).toHaveLength(2);

    expect((await api(t, 'DELETE', `/tokens/${ownerToken.id}`, { cookie: bob })).status).toBe(404);
    expect((await api(t, 'DELETE', `/tokens/${bobToken.id}`, { cookie: owner })).status).toBe(204);
    expect((await api(t, 'GET', '/auth/me', { token: bobToken.token })).status).toBe(401);
    const revoked = auditKinds(t, 'token.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.subject).toBe(bobToken.id);
  });

  it('holds a narrow token to its scopes on every guarded route, not only the ones that ask', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const mk = async (scopes: string[]) => (await api(t!, 'POST', '/tokens', { cookie: owner, body: { name: scopes.join(','), scopes } })).body.token as string;
    const auditReader = await mk(['audit:read']);
    const wide = await mk(['*']);
    const actions = await mk(['actions']);

    expect((await api(t, 'GET', '/audit', { token: auditReader })).status).toBe(200);
    expect((await api(t, 'GET', '/audit', { token: wide })).status).toBe(200);
    expect((await api(t, 'GET', '/auth/me', { token: actions })).status).toBe(200);
    // An owner's audit-reading token must not change the policy, grant support or read other things.
    const settings = await api(t, 'PATCH', '/settings', {
      token: auditReader,
      body: { policy: { roles: { guest: { allow: ['*'], direct_max_risk: 'critical', max_risk: 'critical' } } } },
    });
    expect(settings.status).toBe(403);
    expect(settings.body.error.code).toBe('SCOPE_REQUIRED');
    expect(t.hub.ctx.settings.get().policy.roles.guest.allow).toEqual([]);
    const support = await api(t, 'POST', '/support/sessions', { token: auditReader, body: { scope: 'maintenance', duration_minutes: 60 } });
    expect(support.body.error?.code).toBe('SCOPE_REQUIRED');
    expect((await api(t, 'GET', '/settings', { token: auditReader })).body.error?.code).toBe('SCOPE_REQUIRED');
    expect((await api(t, 'GET', '/audit', { token: actions })).body.error?.code).toBe('SCOPE_REQUIRED');
    expect((await api(t, 'GET', '/settings', { token: wide })).status).toBe(200);
  });

  it('reads `<area>:read` the same way on every route: members and approvals included', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const mk = async (scopes: string[]) => (await api(t!, 'POST', '/tokens', { cookie: owner, body: { name: scopes.join(','), scopes } })).body.token as string;
    const reader = await mk(['members:read', 'approvals:read']);
    expect((await api(t, 'GET', '/members', { token: reader })).status).toBe(200);
    expect((await api(t, 'GET', '/approvals', { token: reader })).status).toBe(200);
    const write = await api(t, 'POST', '/members', {
      token: reader,
      body: { username: 'zed', display_name: 'Zed', role: 'guest', password: 'a long password here' },
    });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('SCOPE_REQUIRED');
    const writer = await mk(['members:write']);
    expect((await api(t, 'GET', '/members', { token: writer })).body.error?.code).toBe('SCOPE_REQUIRED');
  });

  it('validates token requests strictly', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    expect((await api(t, 'POST', '/tokens', { body: { name: 'x' } })).status).toBe(401);
    for (const body of [{ name: 'x', admin: true }, { name: '' }, { name: 'x', scopes: ['NOT A SCOPE'] }, { name: 'x', expires_in_days: 0 }]) {
      const res = await api(t, 'POST', '/tokens', { cookie: owner, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});
