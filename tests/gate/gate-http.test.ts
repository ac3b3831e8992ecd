import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { LanBroker } from '../../src/devices/mqtt/broker.js';
import type { Envelope } from '../../src/gate/model.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, makeFamily, type Person } from './support.js';

/**
 * The gate end to end: the real hub with the demo home on its embedded broker (devices answer
 * ~300 ms after a command), a family made through the API, everything through HTTP.
 */
let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function demoHub(options: { clock?: ManualClock; owners?: string[] } = {}) {
  t = await startTestHub({ clock: options.clock, settings: { hub: { demo: true } } });
  const people = await makeFamily(t.url, t.dataDir, [
    { username: 'adam', role: 'adult' },
    { username: 'owen', role: 'owner' },
    { username: 'cara', role: 'child' },
    ...(options.owners ?? []).map((username) => ({ username, role: 'owner' })),
  ]);
  await waitFor(async () => (await api(t!.url, people.olivia!, 'GET', '/entities/lock.demo_front_door')).body?.state === 'locked');
  await waitFor(async () => (await api(t!.url, people.olivia!, 'GET', '/entities/light.demo_kitchen')).body?.state === 'off');
  // Every command the hub sends to the demo devices, as seen on the broker.
  const commands: string[] = [];
  const broker = t.hub.services.get<LanBroker>('mqtt.broker')!;
  broker.subscribe('hearth/demo/#', (m) => {
    if (m.topic.endsWith('/set')) commands.push(`${m.topic} ${m.payload.toString('utf8')}`);
  });
  return { hub: t, people, commands };
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

const decide = (url: string, who: Person, id: string, body: unknown) =>
  api<Envelope & { error?: { code: string } }>(url, who, 'POST', `/approvals/${id}/decision`, body);

async function storyOf(url: string, who: Person, subject: string): Promise<{ kind: string; actor: string; origin: string }[]> {
  const res = await api<{ entries: { kind: string; actor: string; origin: string; subject: string }[] }>(
    url,
    who,
    'GET',
    `/audit?subject=${subject}&limit=100`,
  );
  expect(res.status).toBe(200);
  expect(res.body.entries.every((e) => e.subject === subject)).toBe(true);
  return res.body.entries.reverse().map(({ kind, actor, origin }) => ({ kind, actor, origin }));
}

describe('the action gate over HTTP, with the demo home', () => {
  it('an adult asks to unlock the front door; only an owner with a PIN makes it happen; the audit tells the story', async () => {
    const { hub, people, commands } = await demoHub();
    const { url } = hub;
    const [adam, owen, cara, olivia] = (['adam', 'owen', 'cara', 'olivia'] as const).map((n) => people[n]!) as [Person, Person, Person, Person];

    const asked = await api(url, adam, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock', reason: 'letting the plumber in' });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      status: 'pending',
      approval_id: expect.stringMatching(/^apr_/),
      envelope: { state: 'pending', risk: 'high', reason: 'letting the plumber in' },
    });
    const id = asked.body.approval_id as string;
    const before = (await api<Envelope>(url, olivia, 'GET', `/approvals/${id}`)).body;

    // Bad input, each with its code, and the envelope unchanged.
    const bad: [Person, unknown, number, string][] = [
      [adam, { decision: 'approve', pin: '1357' }, 403, 'SELF_APPROVAL_FORBIDDEN'],
      [cara, { decision: 'approve', pin: '1357' }, 403, 'NOT_AN_APPROVER'],
      [owen, { decision: 'approve' }, 403, 'PIN_REQUIRED'],
      [owen, { decision: 'approve', pin: '9999' }, 403, 'PIN_INVALID'],
      [owen, { decision: 'maybe' }, 400, 'VALIDATION_FAILED'],
      [owen, { decision: 'approve', pin: '1357', extra: 1 }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [who, body, status, code] of bad) {
      const res = await decide(url, who, id, body);
      expect([res.status, res.body.error?.code], `${who.username} ${JSON.stringify(body)}`).toEqual([status, code]);
    }
    expect((await decide(url, owen, 'apr_doesnotexist', { decision: 'approve', pin: '1357' })).body.error?.code).toBe('APPROVAL_NOT_FOUND');
    expect((await api<Envelope>(url, olivia, 'GET', `/approvals/${id}`)).body).toEqual(before);
    expect(commands).toEqual([]);

    // The owner approves with the PIN: the answer comes once the lock reports unlocked.
    const approved = await decide(url, owen, id, { decision: 'approve', pin: '1357' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'executed', outcome: { observed_state: 'unlocked' } });
    expect((await api(url, adam, 'GET', '/entities/lock.demo_front_door')).body.state).toBe('unlocked');
    expect(commands).toEqual(['hearth/demo/front_door/set UNLOCK']);

    // A replay changes nothing.
    const replay = await decide(url, owen, id, { decision: 'approve', pin: '1357' });
    expect([replay.status, replay.body.error?.code]).toEqual([409, 'ALREADY_DECIDED']);
    const late = await decide(url, olivia, id, { decision: 'approve', pin: '2468' });
    expect([late.status, late.body.error?.code]).toEqual([409, 'APPROVAL_FINISHED']);
    expect((await api<Envelope>(url, olivia, 'GET', `/approvals/${id}`)).body.state).toBe('executed');
    expect(commands).toHaveLength(1);

    const story = await storyOf(url, olivia, id);
    const main = story.filter((e) => e.kind !== 'approval.decision_refused');
    expect(main).toEqual([
      { kind: 'approval.requested', actor: adam.id, origin: 'web' },
      { kind: 'approval.decided', actor: owen.id, origin: 'web' },
      { kind: 'approval.executing', actor: adam.id, origin: 'web' },
      { kind: 'action.executed', actor: adam.id, origin: 'web' },
      { kind: 'approval.executed', actor: adam.id, origin: 'web' },
    ]);
    expect(story.filter((e) => e.kind === 'approval.decision_refused').map((e) => e.actor)).toEqual([adam.id, cara.id, owen.id, owen.id, owen.id, olivia.id]);
  });

  it('a light switches at once: 200 with the confirmed state', async () => {
    const { hub, people, commands } = await demoHub();
    const res = await api(hub.url, people.cara!, 'POST', '/actions', { entity_id: 'light.demo_kitchen', operation: 'turn_on' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'executed',
      entity: { id: 'light.demo_kitchen', state: 'on' },
      detail: { expected_state: 'on', observed_state: 'on' },
    });
    expect(commands).toHaveLength(1);
    const story = await storyOf(hub.url, people.olivia!, res.body.action_id);
    expect(story.map((e) => e.kind)).toEqual(['action.requested', 'action.executed', 'action.confirmed']);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toMatch(/hearth_gate_actions_total\{status="executed",path="direct"\} 1/);
  });

  it('refuses bad requests with specific codes', async () => {
    const { hub, people, commands } = await demoHub();
    const { url } = hub;
    const cases: [Person, unknown, number, string][] = [
      [people.adam!, { entity_id: 'lock.back_gate', operation: 'unlock' }, 404, 'UNKNOWN_ENTITY'],
      [people.adam!, { entity_id: 'light.demo_kitchen', operation: 'unlock' }, 400, 'UNSUPPORTED_OPERATION'],
      [people.cara!, { entity_id: 'lock.demo_front_door', operation: 'unlock' }, 403, 'ROLE_NOT_ALLOWED'],
      [people.adam!, { entity_id: 'Lock Front Door', operation: 'unlock' }, 400, 'VALIDATION_FAILED'],
      [people.adam!, { entity_id: 'light.demo_kitchen' }, 400, 'VALIDATION_FAILED'],
      [people.adam!, { entity_id: 'lock.demo_front_door', operation: 'unlock', params: { entity_id: 'all' } }, 400, 'INVALID_PARAMS'],
    ];
    for (const [who, body, status, code] of cases) {
      const res = await api(url, who, 'POST', '/actions', body);
      expect([res.status, res.body?.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await api(url, null, 'POST', '/actions', { entity_id: 'light.demo_kitchen', operation: 'turn_on' })).status).toBe(401);

    // Cancel: only the requester; afterwards nobody can decide.
    const asked = await api(url, people.adam!, 'POST', '/actions', { entity_id: 'cover.demo_garage_door', operation: 'open_cover' });
    expect(asked.status).toBe(202);
    const id = asked.body.approval_id as string;
    const foreign = await api(url, people.owen!, 'POST', `/approvals/${id}/cancel`);
    expect([foreign.status, foreign.body.error.code]).toEqual([403, 'NOT_REQUESTER']);
    const cancelled = await api(url, people.adam!, 'POST', `/approvals/${id}/cancel`);
    expect([cancelled.status, cancelled.body.state]).toEqual([200, 'cancelled']);
    const after = await decide(url, people.owen!, id, { decision: 'approve', pin: '1357' });
    expect([after.status, after.body.error?.code]).toEqual([409, 'APPROVAL_FINISHED']);
    expect(commands).toEqual([]);

    // A bearer token is the `api` channel.
    const token = await api(url, people.adam!, 'POST', '/tokens', { name: 'script', scopes: ['*'] });
    expect(token.status).toBeLessThan(300);
    const viaToken = await fetch(`${url}/api/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.body.token as string}`, 'content-type': 'application/json' },
      body: JSON.stringify({ entity_id: 'lock.demo_front_door', operation: 'unlock' }),
    });
    expect(viaToken.status).toBe(202);
    expect(((await viaToken.json()) as { envelope: Envelope }).envelope.origin).toEqual({ member_id: people.adam!.id, channel: 'api' });
    const listed = await api<{ approvals: Envelope[] }>(url, people.olivia!, 'GET', '/approvals?state=cancelled');
    expect(listed.body.approvals.map((e) => e.id)).toEqual([id]);
  });

  it('pages the approvals with a cursor that also carries a child past requests it may not see', async () => {
    const { hub, people } = await demoHub();
    const { url } = hub;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const asked = await api(url, people.adam!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
      ids.push(asked.body.approval_id as string);
      expect((await api(url, people.adam!, 'POST', `/approvals/${ids[i]}/cancel`)).status).toBe(200);
    }
    type Page = { approvals: Envelope[]; next_before: string | null };
    const walk = async (who: Person) => {
      const seen: string[] = [];
      const cursors: (string | null)[] = [];
      let before: string | null = null;
      do {
        const res: { status: number; body: Page } = await api<Page>(url, who, 'GET', `/approvals?limit=2${before ? `&before=${before}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.approvals.map((e) => e.id));
        before = res.body.next_before;
        cursors.push(before);
      } while (before !== null && cursors.length < 10);
      return { seen, pages: cursors.length };
    };
    // The owner: every request once, newest first, over three pages (2, 2, 1).
    expect(await walk(people.olivia!)).toEqual({ seen: [...ids].reverse(), pages: 3 });
    // The child sees none of them, yet the cursor walks the same three pages to the end.
    expect(await walk(people.cara!)).toEqual({ seen: [], pages: 3 });
  });

  it('twenty concurrent approvals lead to exactly one execution', async () => {
    const owners = ['oscar', 'orla', 'otto'];
    const { hub, people, commands } = await demoHub({ owners });
    const { url } = hub;
    const asked = await api(url, people.adam!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
    const id = asked.body.approval_id as string;
    const approvers = ['olivia', ...owners, 'owen'].map((n) => people[n]!);
    const pinOf = (p: Person) => (p.username === 'olivia' ? '2468' : '1357');
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => approvers[i % approvers.length]!).map((p) => decide(url, p, id, { decision: 'approve', pin: pinOf(p) })),
    );
    const ok = replies.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.body.state).toBe('executed');
    for (const r of replies.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(['ALREADY_DECIDED', 'APPROVAL_FINISHED']).toContain(r.body.error?.code);
    }
    expect(commands).toEqual(['hearth/demo/front_door/set UNLOCK']);
    const executed = await api(url, people.olivia!, 'GET', `/audit?subject=${id}&kind=action.executed`);
    expect(executed.body.entries).toHaveLength(1);
    expect((await api<Envelope>(url, people.olivia!, 'GET', `/approvals/${id}`)).body.decisions).toHaveLength(1);
  });

  it('approvals go on the web event stream, and the list pages newest first', async () => {
    const { hub, people } = await demoHub();
    const stream = await fetch(`${hub.url}/api/v1/events`, { headers: { cookie: people.olivia!.cookie, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    const seen = (async () => {
      while (!/event: approval\.finished\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    const ids: string[] = [];
    const asks = [
      ['lock.demo_front_door', 'unlock'],
      ['cover.demo_garage_door', 'open_cover'],
      ['alarm_control_panel.demo_home_alarm', 'alarm_disarm'],
    ] as const;
    for (const [entity_id, operation] of asks) {
      const res = await api(hub.url, people.adam!, 'POST', '/actions', { entity_id, operation });
      expect(res.status).toBe(202);
      ids.push(res.body.approval_id as string);
    }
    await api(hub.url, people.owen!, 'POST', `/approvals/${ids[0]}/decision`, { decision: 'deny' });
    await seen;
    await reader.cancel();
    const events = [...text.matchAll(/event: (\S+)\ndata: (.*)\n/g)].map(
      (m) => [m[1], JSON.parse(m[2]!) as { id?: string; envelope?: { id: string } }] as const,
    );
    const about = (id: string) => events.filter(([, d]) => d.id === id || d.envelope?.id === id).map(([e]) => e);
    expect(about(ids[0]!)).toEqual(['approval.requested', 'approval.decided', 'approval.finished']);
    expect(about(ids[1]!)).toEqual(['approval.requested']);

    const page1 = await api<{ approvals: Envelope[] }>(hub.url, people.olivia!, 'GET', '/approvals?limit=2');
    expect(page1.body.approvals.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    const page2 = await api<{ approvals: Envelope[] }>(hub.url, people.olivia!, 'GET', `/approvals?limit=2&before=${ids[1]}`);
    expect(page2.body.approvals.map((e) => e.id)).toEqual([ids[0]]);
    expect((await api<{ approvals: Envelope[] }>(hub.url, people.olivia!, 'GET', '/approvals?state=denied')).body.approvals.map((e) => e.id)).toEqual([ids[0]]);
    // A child sees neither others' requests nor ones it cannot decide.
    expect((await api<{ approvals: Envelope[] }>(hub.url, people.cara!, 'GET', '/approvals')).body.approvals).toEqual([]);
    expect((await api(hub.url, people.cara!, 'GET', `/approvals/${ids[1]}`)).status).toBe(404);
  });

  it('the event stream shows envelopes only to who may see them, and never a lock code', async () => {
    const { hub, people } = await demoHub();
    const open = async (who: Person) => {
      const res = await fetch(`${hub.url}/api/v1/events`, { headers: { cookie: who.cookie, accept: 'text/event-stream' } });
      const reader = res.body!.getReader();
      const state = { text: '' };
      const until = async (re: RegExp) => {
        while (!re.test(state.text)) {
          const { value, done } = await reader.read();
          if (done) break;
          state.text += new TextDecoder().decode(value);
        }
      };
      return { state, until, close: () => reader.cancel() };
    };
    const owner = await open(people.olivia!);
    const child = await open(people.cara!);
    await Promise.all([owner.until(/: connected/), child.until(/: connected/)]);
    const asked = await api(hub.url, people.adam!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock', params: { code: '918273' } });
    expect(asked.status).toBe(202);
    // The child's own (allowed, direct) light goes on the stream after the envelope, to both.
    expect((await api(hub.url, people.cara!, 'POST', '/actions', { entity_id: 'light.demo_kitchen', operation: 'turn_on' })).status).toBe(200);
    await Promise.all([owner.until(/event: action\.executed\n/), child.until(/event: action\.executed\n/)]);
    await Promise.all([owner.close(), child.close()]);
    expect(owner.state.text).toContain(`"id":"${asked.body.approval_id}"`);
    expect(owner.state.text).not.toContain('918273');
    expect(child.state.text).not.toContain('event: approval.requested');
    expect(child.state.text).not.toContain(asked.body.approval_id);
    // Nor does the API hand the code back: not in the 202, the list or the envelope.
    expect(JSON.stringify(asked.body)).not.toContain('918273');
    expect(JSON.stringify((await api(hub.url, people.olivia!, 'GET', '/approvals')).body)).not.toContain('918273');
    const one = await api(hub.url, people.olivia!, 'GET', `/approvals/${asked.body.approval_id}`);
    expect(one.body.action.params).toEqual({ code: '[redacted]' });
  });

  it('answers 400, not 500, to params nested too deep to serialise', async () => {
    const { hub, people } = await demoHub();
    const depth = 60_000;
    const raw = `{"entity_id":"light.demo_kitchen","operation":"turn_on","params":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const res = await fetch(`${hub.url}/api/v1/actions`, {
      method: 'POST',
      headers: { cookie: people.adam!.cookie, 'content-type': 'application/json' },
      body: raw,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_PARAMS');
    // Nothing was sent, and the hub still answers.
    expect((await api(hub.url, people.adam!, 'POST', '/actions', { entity_id: 'light.demo_kitchen', operation: 'turn_on' })).status).toBe(200);
  });

  it('wrong PINs are audited and locked out after a few; the envelope stays pending', async () => {
    const { hub, people, commands } = await demoHub();
    const asked = await api(hub.url, people.adam!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
    const id = asked.body.approval_id as string;
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) codes.push((await decide(hub.url, people.owen!, id, { decision: 'approve', pin: '0000' })).body.error?.code ?? 'none');
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('PIN_INVALID'));
    expect(codes.slice(5)).toEqual(['PIN_LOCKED', 'PIN_LOCKED']);
    // Even the right PIN waits out the lock.
    const right = await decide(hub.url, people.owen!, id, { decision: 'approve', pin: '1357' });
    expect([right.status, right.body.error?.code]).toEqual([429, 'PIN_LOCKED']);
    expect((await api<Envelope>(hub.url, people.olivia!, 'GET', `/approvals/${id}`)).body).toMatchObject({ state: 'pending', decisions: [] });
    const failed = await api(hub.url, people.olivia!, 'GET', `/audit?kind=auth.pin.failed&actor=${people.owen!.id}`);
    expect(failed.body.entries).toHaveLength(5);
    // Another owner can still decide.
    expect((await decide(hub.url, people.olivia!, id, { decision: 'approve', pin: '2468' })).body.state).toBe('executed');
    expect(commands).toHaveLength(1);
  });

  it('a PIN lockout on a decision says when to try again (Retry-After), as the members routes do', async () => {
    const { hub, people } = await demoHub();
    const asked = await api(hub.url, people.adam!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
    const id = asked.body.approval_id as string;
    for (let i = 0; i < 5; i++) await decide(hub.url, people.owen!, id, { decision: 'approve', pin: '0000' });
    const res = await fetch(`${hub.url}/api/v1/approvals/${id}/decision`, {
      method: 'POST',
      headers: { cookie: people.owen!.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', pin: '1357' }),
    });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PIN_LOCKED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('an expired request cannot be approved (controllable clock)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0));
    const { hub, people, commands } = await demoHub({ clock });
    const asked = await api(hub.url, people.adam!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
    const id = asked.body.approval_id as string;
    clock.advance(5 * 60_000);
    const res = await decide(hub.url, people.owen!, id, { decision: 'approve', pin: '1357' });
    expect([res.status, res.body.error?.code]).toEqual([409, 'APPROVAL_EXPIRED']);
    expect((await api<Envelope>(hub.url, people.olivia!, 'GET', `/approvals/${id}`)).body).toMatchObject({ state: 'expired', decisions: [] });
    expect((await api(hub.url, people.adam!, 'GET', '/entities/lock.demo_front_door')).body.state).toBe('locked');
    expect(commands).toEqual([]);
  });

  it('a policy change between request and approval stops the execution', async () => {
    const { hub, people, commands } = await demoHub();
    const asked = await api(hub.url, people.adam!, 'POST', '/actions', { entity_id: 'lock.demo_front_door', operation: 'unlock' });
    const id = asked.body.approval_id as string;
    const patched = await api(hub.url, people.olivia!, 'PATCH', '/settings', { policy: { overrides: { 'lock.demo_front_door': { unlock: 'critical' } } } });
    expect(patched.status).toBe(200);
    const res = await decide(hub.url, people.owen!, id, { decision: 'approve', pin: '1357' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'failed', outcome: { code: 'POLICY_CHANGED' } });
    expect(commands).toEqual([]);
  });
});
