import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Envelope } from '../../src/gate/model.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, makeFamily, PASSWORD, type Person } from './support.js';

/**
 * The hub's own changes through the gate, end to end over HTTP with a real hub: members and
 * roles, the policy, support sessions, device logins; the owner's PIN and its few-minute
 * window; and the sole owner who confirms their own unlock with the PIN (issue 17).
 */
let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const OWNER_PIN = '2468';

async function signIn(url: string, who: Person): Promise<Person> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: who.username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('hearth_session='))!
    .split(';')[0]!;
  return { ...who, cookie };
}

const decide = (url: string, who: Person, id: string, body: unknown) =>
  api<Envelope & { error?: { code: string } }>(url, who, 'POST', `/approvals/${id}/decision`, body);

async function story(url: string, who: Person, subject: string): Promise<{ kind: string; actor: string; data: Record<string, unknown> }[]> {
  const res = await api<{ entries: { kind: string; actor: string; data: Record<string, unknown> }[] }>(url, who, 'GET', `/audit?subject=${subject}&limit=100`);
  expect(res.status).toBe(200);
  return res.body.entries.reverse();
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe("the hub's own changes pass the gate", () => {
  it('a new owner appears only after the owner confirms with the PIN; the trail tells it, and no password or PIN is in the envelope, trail or logs', async () => {
    t = await startTestHub();
    const { olivia } = await makeFamily(t.url, t.dataDir, []);
    // A later sign-in with the password only: no PIN confirmed on it yet.
    const owner = await signIn(t.url, olivia!);
    const sam = { username: 'sam', display_name: 'Sam', role: 'owner', password: 'sams own long passphrase', pin: '9753' };

    const asked = await api(t.url, owner, 'POST', '/members', sam);
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: 'pending', self_confirm: true });
    const id = asked.body.approval_id as string;
    const names = async () => (await api(t!.url, owner, 'GET', '/members')).body.members.map((m: { username: string }) => m.username);
    expect(await names()).toEqual(['olivia']);

    const env = (await api<Envelope>(t.url, owner, 'GET', `/approvals/${id}`)).body;
    expect(env).toMatchObject({
      state: 'pending',
      risk: 'high',
      action: {
        entity_id: 'hub.members',
        operation: 'add_owner',
        params: { summary: 'add Sam as an owner', password_hash: '[redacted]', pin_hash: '[redacted]' },
      },
    });

    expect((await decide(t.url, owner, id, { decision: 'approve' })).body.error?.code).toBe('PIN_REQUIRED');
    expect((await decide(t.url, owner, id, { decision: 'approve', pin: '1111' })).body.error?.code).toBe('PIN_INVALID');
    expect(await names()).toEqual(['olivia']);
    const done = await decide(t.url, owner, id, { decision: 'approve', pin: OWNER_PIN });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'executed' });
    expect((await names()).sort()).toEqual(['olivia', 'sam']);
    // The hashes the envelope carried are the real ones: Sam signs in with the password.
    const samLogin = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'sam', password: sam.password }),
    });
    expect(samLogin.status).toBe(200);

    const kinds = (await story(t.url, owner, id)).map((e) => e.kind);
    expect(kinds).toEqual([
      'approval.requested',
      'approval.decision_refused',
      'approval.decision_refused',
      'approval.decided',
      'approval.executing',
      'action.executed',
      'approval.executed',
    ]);
    const decided = (await story(t.url, owner, id)).find((e) => e.kind === 'approval.decided')!;
    expect(decided.data).toMatchObject({ by_requester: 'requester', confirmed: 'pin' });
    const created = t.hub.ctx.audit.list({ kind: 'member.created', limit: 10 }).entries.find((e) => e.data.username === 'sam');
    expect(created).toMatchObject({ actor: olivia!.id, data: { role: 'owner' } });

    const everything =
      JSON.stringify(t.hub.ctx.audit.list({ limit: 1000 }).entries) +
      JSON.stringify((await api(t.url, owner, 'GET', '/approvals')).body) +
      t.logs.raw.join('\n');
    for (const secret of [sam.password, `"${sam.pin}"`, 'scrypt']) expect(everything.includes(secret), secret).toBe(false);
  });

  it('a policy change by an owner with the PIN: the confirmation covers the next few minutes on that sign-in only', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0));
    t = await startTestHub({ clock });
    const { olivia } = await makeFamily(t.url, t.dataDir, []);
    const owner = await signIn(t.url, olivia!);
    const first = await api(t.url, owner, 'PATCH', '/settings', { policy: { approvals: { medium: { expiry_s: 600 } } } });
    expect(first.status).toBe(202);
    expect(t.hub.ctx.settings.get().policy.approvals.medium.expiry_s).toBe(300);
    expect((await decide(t.url, owner, first.body.approval_id, { decision: 'approve', pin: OWNER_PIN })).body.state).toBe('executed');
    expect(t.hub.ctx.settings.get().policy.approvals.medium.expiry_s).toBe(600);

    // Within the window: no second PIN, at once, and the trail says why.
    clock.advance(4 * 60_000);
    const second = await api(t.url, owner, 'PATCH', '/settings', { policy: { approvals: { medium: { expiry_s: 900 } } } });
    expect(second.status).toBe(200);
    expect(t.hub.ctx.settings.get().policy.approvals.medium.expiry_s).toBe(900);
    const requested = t.hub.ctx.audit.list({ kind: 'action.requested', limit: 5 }).entries[0]!;
    expect(requested.data).toMatchObject({
      action: { entity_id: 'hub.policy', operation: 'change_policy' },
      path: 'confirmed',
      confirmed: 'window',
      risk: 'high',
    });
    expect(
      t.hub.ctx.audit
        .list({ kind: 'auth.confirm_window.opened', limit: 10 })
        .entries.map((e) => e.data.reason)
        .sort(),
    ).toEqual(['first_run', 'pin']);

    // Another sign-in of the same owner does not share it, and the window closes with time.
    const elsewhere = await signIn(t.url, olivia!);
    expect((await api(t.url, elsewhere, 'PATCH', '/settings', { policy: { approvals: { medium: { expiry_s: 120 } } } })).status).toBe(202);
    clock.advance(2 * 60_000);
    expect((await api(t.url, owner, 'PATCH', '/settings', { policy: { approvals: { medium: { expiry_s: 120 } } } })).status).toBe(202);
    // Settings outside the policy are not a hub change: they apply at once as before.
    expect((await api(t.url, elsewhere, 'PATCH', '/settings', { hub: { name: 'Maple House' } })).status).toBe(200);
  });

  it('an adult or a child cannot make these changes at all: 403, and the attempt is in the trail', async () => {
    t = await startTestHub();
    const { adam, cara } = await makeFamily(t.url, t.dataDir, [
      { username: 'adam', role: 'adult' },
      { username: 'cara', role: 'child' },
    ]);
    for (const who of [adam!, cara!]) {
      const tries = [
        await api(t.url, who, 'POST', '/members', { username: `x${who.username}`, display_name: 'X', role: 'owner', password: 'a long enough passphrase' }),
        await api(t.url, who, 'PATCH', `/members/${who.id}`, { role: 'owner' }),
        await api(t.url, who, 'PATCH', '/settings', { policy: { roles: { child: { max_risk: 'critical' } } } }),
        await api(t.url, who, 'POST', '/support/sessions', { scope: 'maintenance', duration_minutes: 60 }),
        await api(t.url, who, 'POST', '/devices/credentials', { username: 'plug' }),
      ];
      expect(tries.map((r) => [r.status, r.body.error.code])).toEqual(Array(5).fill([403, 'ROLE_REQUIRED']));
      // Straight at the gate: the policy refuses the role.
      const direct = await api(t.url, who, 'POST', '/actions', { entity_id: 'hub.members', operation: 'add_owner', params: { summary: 'x' } });
      expect([direct.status, direct.body.error.code]).toEqual([403, 'ROLE_NOT_ALLOWED']);
      const refused = t.hub.ctx.audit.list({ kind: 'action.refused', limit: 100 }).entries.filter((e) => e.actor === who.id);
      expect(refused.map((e) => (e.data.action as { entity_id: string }).entity_id).sort()).toEqual([
        'hub.device_logins',
        'hub.members',
        'hub.members',
        'hub.members',
        'hub.policy',
        'hub.support_sessions',
      ]);
    }
    expect(t.hub.ctx.settings.get().policy.roles.child.max_risk).toBe('medium');
    expect((await api(t.url, adam!, 'GET', '/members')).body.members).toHaveLength(3);
  });

  it('a sole owner unlocks the demo front door with their PIN, and the trail shows the envelope', async () => {
    t = await startTestHub({ settings: { hub: { demo: true } } });
    const { olivia } = await makeFamily(t.url, t.dataDir, [{ username: 'adam', role: 'adult' }]);
    const door = async () => (await api(t!.url, olivia!, 'GET', '/entities/lock.demo_front_door')).body?.state;
    await waitFor(async () => (await door()) === 'locked');
    const asked = await api(t.url, olivia!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ self_confirm: true, envelope: { policy: { exclude_requester: true, approver_roles: ['owner'] } } });
    const id = asked.body.approval_id as string;
    expect((await decide(t.url, olivia!, id, { decision: 'approve' })).body.error?.code).toBe('PIN_REQUIRED');
    const done = await decide(t.url, olivia!, id, { decision: 'approve', pin: OWNER_PIN });
    expect(done.body).toMatchObject({ state: 'executed', decisions: [{ member_id: olivia!.id, decision: 'approve' }] });
    expect(await door()).toBe('unlocked');
    const entries = await story(t.url, olivia!, id);
    expect(entries.map((e) => e.kind)).toEqual([
      'approval.requested',
      'approval.decision_refused',
      'approval.decided',
      'approval.executing',
      'action.executed',
      'approval.executed',
    ]);
    expect(entries[2]!.data).toMatchObject({ by_requester: 'sole_approver', confirmed: 'pin' });
  });

  it('with a second owner present, exclude_requester still holds', async () => {
    t = await startTestHub({ settings: { hub: { demo: true } } });
    const { olivia, owen } = await makeFamily(t.url, t.dataDir, [{ username: 'owen', role: 'owner' }]);
    await waitFor(async () => (await api(t!.url, olivia!, 'GET', '/entities/lock.demo_front_door')).body?.state === 'locked');
    const asked = await api(t.url, olivia!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
    expect(asked.body).toMatchObject({ status: 'pending', self_confirm: false });
    const own = await decide(t.url, olivia!, asked.body.approval_id, { decision: 'approve', pin: OWNER_PIN });
    expect([own.status, own.body.error?.code]).toEqual([403, 'SELF_APPROVAL_FORBIDDEN']);
    const other = await decide(t.url, owen!, asked.body.approval_id, { decision: 'approve', pin: '1357' });
    expect(other.body.state).toBe('executed');
  });

  it('support sessions and device logins: at once within the PIN window, waiting outside it, the device password never in the envelope', async () => {
    t = await startTestHub();
    const { olivia } = await makeFamily(t.url, t.dataDir, []);
    // The setup sign-in is in its first-run window: first steps stay quick.
    expect((await api(t.url, olivia!, 'POST', '/support/sessions', { scope: 'diagnostics', duration_minutes: 30 })).status).toBe(201);
    const owner = await signIn(t.url, olivia!);
    const login = await api(t.url, owner, 'POST', '/devices/credentials', { username: 'plug-1' });
    expect(login.status).toBe(202);
    expect(login.body.password).toMatch(/.{20,}/);
    expect((await api(t.url, owner, 'GET', '/devices/credentials')).body.credentials).toEqual([]);
    const env = (await api<Envelope>(t.url, owner, 'GET', `/approvals/${login.body.approval_id}`)).body;
    expect(JSON.stringify(env)).not.toContain(login.body.password);
    expect((await decide(t.url, owner, login.body.approval_id, { decision: 'approve', pin: OWNER_PIN })).body.state).toBe('executed');
    expect((await api(t.url, owner, 'GET', '/devices/credentials')).body.credentials.map((c: { username: string }) => c.username)).toEqual(['plug-1']);
    // Revoking is low risk: at once.
    const grant = (await api(t.url, owner, 'GET', '/support/sessions')).body.sessions[0];
    expect((await api(t.url, owner, 'DELETE', `/support/sessions/${grant.id}`)).body.state).toBe('revoked');
  });
});
