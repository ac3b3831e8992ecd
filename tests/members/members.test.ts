import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { OWNER, api, auditKinds, createMember, expectNotLogged, login, setupOwner } from './helpers.js';

const BOB = { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bobs long password', phone: '+15551234567', pin: '2468' };

describe('members', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('lets only an owner add members; adults see names and roles, not phone numbers', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const bob = await createMember(t, owner, BOB);
    expect(bob).toMatchObject({ username: 'bob', role: 'adult', phone: '+15551234567', has_pin: true, has_password: true, disabled: false });
    const bobCookie = await login(t, 'bob', BOB.password);

    const denied = await api(t, 'POST', '/members', { cookie: bobCookie, body: { username: 'carol', display_name: 'Carol', role: 'owner' } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('ROLE_REQUIRED');
    expect((await api(t, 'POST', '/members', { body: { username: 'carol', display_name: 'Carol', role: 'child' } })).status).toBe(401);

    const asAdult = await api(t, 'GET', '/members', { cookie: bobCookie });
    expect(asAdult.status).toBe(200);
    const aliceSeenByBob = asAdult.body.members.find((m: { username: string }) => m.username === 'alice');
    expect(Object.keys(aliceSeenByBob).sort()).toEqual(['display_name', 'id', 'role', 'username']);
    const asOwner = await api(t, 'GET', '/members', { cookie: owner });
    expect(asOwner.body.members.find((m: { username: string }) => m.username === 'bob').phone).toBe('+15551234567');
    expect(JSON.stringify(asOwner.body)).not.toMatch(/scrypt|_hash/);
    // Bob sees all of himself.
    expect((await api(t, 'GET', `/members/${bob.id}`, { cookie: bobCookie })).body.phone).toBe('+15551234567');
    expect((await api(t, 'GET', '/members/me', { cookie: bobCookie })).body.username).toBe('bob');

    const kid = await createMember(t, owner, { username: 'kid', display_name: 'Kid', role: 'child', password: 'kids long password' });
    const kidCookie = await login(t, 'kid', 'kids long password');
    expect((await api(t, 'GET', '/members', { cookie: kidCookie })).status).toBe(403);
    expect((await api(t, 'GET', `/members/${bob.id}`, { cookie: kidCookie })).status).toBe(403);
    expect((await api(t, 'GET', `/members/${kid.id}`, { cookie: kidCookie })).status).toBe(200);

    const created = auditKinds(t, 'member.created');
    expect(created.map((e) => e.data.username).sort()).toEqual(['bob', 'kid']);
    expect(created.find((e) => e.data.username === 'bob')!.data.fields).toEqual(expect.arrayContaining(['password', 'pin', 'phone']));
    expectNotLogged(t, [BOB.password, OWNER.password, 'kids long password']);
    expect(JSON.stringify(t.hub.ctx.audit.list({ limit: 500 }))).not.toContain(BOB.password);
  });

  it('validates member bodies: unknown fields, bad phones, weak passwords, taken usernames, malformed JSON', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const cases: [unknown, string][] = [
      [{ ...BOB, is_admin: true }, 'VALIDATION_FAILED'],
      [{ ...BOB, phone: '555-1234' }, 'VALIDATION_FAILED'],
      [{ ...BOB, pin: '12' }, 'VALIDATION_FAILED'],
      [{ ...BOB, role: 'root' }, 'VALIDATION_FAILED'],
      [{ ...BOB, username: 'bad name' }, 'VALIDATION_FAILED'],
      [{ ...BOB, username: 'bobbybobby', password: 'BobbyBobby' }, 'WEAK_PASSWORD'],
    ];
    for (const [body, code] of cases) {
      const res = await api(t, 'POST', '/members', { cookie: owner, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe(code);
    }
    const malformed = await api(t, 'POST', '/members', { cookie: owner, raw: '{"username":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    await createMember(t, owner, BOB);
    const taken = await api(t, 'POST', '/members', { cookie: owner, body: { ...BOB, username: 'BOB' } });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('USERNAME_TAKEN');
    const unknownId = await api(t, 'PATCH', '/members/mem_nope', { cookie: owner, body: { display_name: 'X' } });
    expect(unknownId.status).toBe(404);
  });

  it('never deletes, demotes or disables the last owner', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const me = (await api(t, 'GET', '/auth/me', { cookie: owner })).body.member as { id: string };
    for (const [method, body] of [
      ['DELETE', undefined],
      ['PATCH', { role: 'adult' }],
      ['PATCH', { disabled: true }],
    ] as const) {
      const res = await api(t, method, `/members/${me.id}`, { cookie: owner, body });
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(409);
      expect(res.body.error.code).toBe('LAST_OWNER');
    }
    // With a second owner, the first may step down.
    await createMember(t, owner, { username: 'carol', display_name: 'Carol', role: 'owner', password: 'carols long password' });
    const demoted = await api(t, 'PATCH', `/members/${me.id}`, { cookie: owner, body: { role: 'adult' } });
    expect(demoted.status).toBe(200);
    expect(demoted.body.role).toBe('adult');
    const updated = auditKinds(t, 'member.updated');
    expect(updated.at(0)!.data).toEqual({ changed: ['role'], role: 'adult' });
  });

  it('deleting a member ends their sessions and revokes their tokens', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const bob = await createMember(t, owner, BOB);
    const bobCookie = await login(t, 'bob', BOB.password);
    const { token } = (await api(t, 'POST', '/tokens', { cookie: bobCookie, body: { name: 'bobs script' } })).body as { token: string };
    expect((await api(t, 'GET', '/auth/me', { token })).status).toBe(200);
    expect((await api(t, 'DELETE', `/members/${bob.id}`, { cookie: owner })).status).toBe(204);
    expect((await api(t, 'GET', '/auth/me', { cookie: bobCookie })).status).toBe(401);
    expect((await api(t, 'GET', '/auth/me', { token })).status).toBe(401);
    expect((await api(t, 'GET', `/members/${bob.id}`, { cookie: owner })).status).toBe(404);
    const deleted = auditKinds(t, 'member.deleted');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]!.subject).toBe(bob.id);
  });

  it("audits changes by field name only, and a password change ends the member's sessions", async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const bob = await createMember(t, owner, BOB);
    const bobCookie = await login(t, 'bob', BOB.password);
    const res = await api(t, 'PATCH', `/members/${bob.id}`, {
      cookie: owner,
      body: { password: 'a brand new password', pin: '97531', phone: null, display_name: 'Robert' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ display_name: 'Robert', phone: null, has_pin: true });
    const entry = auditKinds(t, 'member.updated')[0]!;
    expect([...(entry.data.changed as string[])].sort()).toEqual(['display_name', 'password', 'phone', 'pin']);
    expect(JSON.stringify(entry)).not.toContain('a brand new password');
    expect(JSON.stringify(entry)).not.toContain('97531');
    expect((await api(t, 'GET', '/auth/me', { cookie: bobCookie })).status).toBe(401);
    await login(t, 'bob', 'a brand new password');
    expectNotLogged(t, ['a brand new password', '97531', BOB.password]);
  });

  it('lets a member change their own password and PIN only with the current password', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    await createMember(t, owner, BOB);
    const bobCookie = await login(t, 'bob', BOB.password);
    const other = await login(t, 'bob', BOB.password);
    const without = await api(t, 'PATCH', '/members/me', { cookie: bobCookie, body: { password: 'another long password' } });
    expect(without.status).toBe(400);
    expect(without.body.error.code).toBe('CURRENT_PASSWORD_REQUIRED');
    const wrong = await api(t, 'PATCH', '/members/me', { cookie: bobCookie, body: { pin: '1111', current_password: 'not my password' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('CURRENT_PASSWORD_WRONG');
    const roleChange = await api(t, 'PATCH', '/members/me', { cookie: bobCookie, body: { role: 'owner' } });
    expect(roleChange.status).toBe(400); // not a field a member may change about themselves
    const ok = await api(t, 'PATCH', '/members/me', {
      cookie: bobCookie,
      body: { password: 'another long password', current_password: BOB.password, display_name: 'Bobby' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.display_name).toBe('Bobby');
    expect((await api(t, 'GET', '/auth/me', { cookie: bobCookie })).status).toBe(200); // this session stays
    expect((await api(t, 'GET', '/auth/me', { cookie: other })).status).toBe(401); // the others end
  });
});
