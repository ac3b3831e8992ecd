import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { EntityRegistry } from '../../src/devices/registry.js';
import type { ActionGate } from '../../src/gate/gate.js';
import type { Envelope, GateOutcome } from '../../src/gate/model.js';
import type { TestHub } from '../helpers/hub.js';
import { membersOf, startGateHub, type Person, type TestAdapter } from './support.js';

/**
 * The gate on a real hub (store, audit, members, settings), with a real entity registry and
 * a device adapter at the edge of the test. The end-to-end tests through the demo home are
 * in gate-http.test.ts.
 */
interface Fixture {
  t: TestHub;
  gate: ActionGate;
  registry: EntityRegistry;
  adapter: TestAdapter;
  people: Record<string, Person>;
  clock?: ManualClock;
}

let fx: Fixture | undefined;
afterEach(async () => {
  if (fx) {
    await fx.gate.stop();
    fx.adapter.stop();
    await fx.t.stop();
  }
  fx = undefined;
});

async function setUp(
  options: { clock?: ManualClock; settings?: Record<string, unknown>; others?: { username: string; role: string }[] } = {},
): Promise<Fixture> {
  const others = options.others ?? [
    { username: 'adam', role: 'adult' },
    { username: 'owen', role: 'owner' },
    { username: 'cara', role: 'child' },
  ];
  const f: Fixture = { ...(await startGateHub({ others, hub: { clock: options.clock, settings: options.settings } })), clock: options.clock };
  fx = f;
  return f;
}

const ask = (f: Fixture, who: string, entity_id: string, operation: string, channel: 'web' | 'api' | 'llm' | 'telegram' = 'web') =>
  f.gate.request({ action: { entity_id, operation }, origin: { member_id: f.people[who]!.id, channel } });

function pending(o: GateOutcome): Envelope {
  if (o.status !== 'pending') throw new Error(`expected pending, got ${JSON.stringify(o)}`);
  return o.envelope;
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

function story(f: Fixture, subject: string): string[] {
  return f.t.hub.ctx.audit
    .list({ subject, limit: 100 })
    .entries.reverse()
    .map((e) => e.kind);
}

describe('the action gate', () => {
  it('does not count the approval of a member disabled (or no longer an approver) before the quorum is reached', async () => {
    const f = await setUp({ settings: { policy: { approvals: { high: { quorum: 2, approver_roles: ['owner', 'adult'] } } } } });
    const env = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    // A stolen phone approves through Telegram; the owner disables that account; another owner approves.
    await f.gate.decide(env.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    await membersOf(f.t.hub).update(f.people.owen!.id, { disabled: true }, { id: f.people.olivia!.id, origin: 'web' });
    const after = await f.gate.decide(env.id, { member_id: f.people.olivia!.id, decision: 'approve', channel: 'telegram' });
    expect(after.state).toBe('pending');
    expect(f.adapter.commands.filter((c) => c.entity_id === 'lock.front_door')).toEqual([]);
  });

  it('treats a support engineer (no member, channel support) as the support role: hub maintenance for approval, nothing in the home', async () => {
    const f = await setUp();
    const ran: unknown[] = [];
    f.gate.registerSystemAction('hub.support', 'restart_service', { risk: 'medium', run: async (p) => void ran.push(p), describe: () => 'restart' });
    const engineer = { member_id: null, channel: 'support' as const, actor: 'eve' };
    const maint = await f.gate.request({ action: { entity_id: 'hub.support', operation: 'restart_service', params: { target: 'link' } }, origin: engineer });
    expect(maint.status).toBe('pending');
    const light = await f.gate.request({ action: { entity_id: 'light.kitchen', operation: 'turn_on' }, origin: engineer });
    expect(light).toMatchObject({ status: 'refused', code: 'ROLE_NOT_ALLOWED' });
    expect(f.registry.get('light.kitchen')?.state).toBe('off');
    // The owner approves the maintenance step, and it runs (the requester is re-checked as support).
    const done = await f.gate.decide(pending(maint).id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(done.state).toBe('executed');
    expect(ran).toHaveLength(1);
  });

  it('runs a low-risk action straight away and answers once the state confirms it', async () => {
    const f = await setUp();
    const out = await ask(f, 'cara', 'light.kitchen', 'turn_on');
    expect(out.status).toBe('executed');
    if (out.status !== 'executed') return;
    expect(out.entity?.state).toBe('on');
    expect(out.detail.observed_state).toBe('on');
    expect(f.adapter.commands).toEqual([{ entity_id: 'light.kitchen', operation: 'turn_on', params: {} }]);
    expect(story(f, out.action_id)).toEqual(['action.requested', 'action.executed', 'action.confirmed']);
  });

  it('opens an envelope for a high-risk action; only another owner with a PIN can approve it', async () => {
    const f = await setUp();
    const env = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    expect(env).toMatchObject({ risk: 'high', state: 'pending', policy: { quorum: 1, approver_roles: ['owner'], exclude_requester: true, step_up: true } });
    expect(env.digest).toMatch(/^[0-9a-f]{64}$/);
    const decide = (who: string, extra: { pin?: string; decision?: 'approve' | 'deny'; channel?: 'web' | 'telegram' } = {}) =>
      f.gate.decide(env.id, { member_id: f.people[who]!.id, decision: extra.decision ?? 'approve', channel: extra.channel ?? 'web', pin: extra.pin });

    expect(await code(decide('adam', { pin: '1357' }))).toBe('SELF_APPROVAL_FORBIDDEN');
    expect(await code(decide('cara', { pin: '1357' }))).toBe('NOT_AN_APPROVER');
    expect(await code(decide('owen'))).toBe('PIN_REQUIRED');
    expect(await code(decide('owen', { pin: '0000' }))).toBe('PIN_INVALID');
    expect(await code(f.gate.decide('apr_nope', { member_id: f.people.owen!.id, decision: 'approve', channel: 'web' }))).toBe('APPROVAL_NOT_FOUND');
    expect(f.gate.get(env.id)).toMatchObject({ state: 'pending', decisions: [] });
    expect(f.adapter.commands).toEqual([]);

    const done = await decide('owen', { pin: '1357' });
    expect(done.state).toBe('executed');
    expect(done.decisions).toEqual([{ member_id: f.people.owen!.id, decision: 'approve', channel: 'web', at: expect.any(String) }]);
    expect(f.registry.get('lock.front_door')?.state).toBe('unlocked');
    expect(f.adapter.commands).toHaveLength(1);
    // A replayed decision changes nothing.
    expect(await code(decide('owen', { pin: '1357' }))).toBe('ALREADY_DECIDED');
    expect(await code(decide('olivia', { pin: '2468' }))).toBe('APPROVAL_FINISHED');
    expect(f.gate.get(env.id)?.state).toBe('executed');
    expect(f.adapter.commands).toHaveLength(1);
    expect(story(f, env.id)).toEqual([
      'approval.requested',
      'approval.decision_refused', // self
      'approval.decision_refused', // child
      'approval.decision_refused', // no PIN
      'approval.decision_refused', // wrong PIN
      'approval.decided',
      'approval.executing',
      'action.executed',
      'approval.executed',
      'approval.decision_refused', // replay
      'approval.decision_refused', // too late
    ]);
  });

  it('approvals through Telegram need no PIN; a deny ends the request', async () => {
    const f = await setUp();
    const a = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    const done = await f.gate.decide(a.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(done.state).toBe('executed');
    const b = pending(await ask(f, 'adam', 'cover.garage_door', 'open_cover'));
    const denied = await f.gate.decide(b.id, { member_id: f.people.olivia!.id, decision: 'deny', channel: 'web' });
    expect(denied).toMatchObject({ state: 'denied', outcome: { code: 'DENIED' } });
    expect(await code(f.gate.decide(b.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' }))).toBe('APPROVAL_FINISHED');
    expect(f.registry.get('cover.garage_door')?.state).toBe('closed');
  });

  it('twenty decisions at once lead to exactly one execution', async () => {
    const f = await setUp();
    const env = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    const approvers = [f.people.olivia!, f.people.owen!];
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const who = approvers[i % 2]!;
        return f.gate.decide(env.id, { member_id: who.id, decision: 'approve', channel: 'telegram' });
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(f.adapter.commands).toHaveLength(1);
    expect(f.t.hub.ctx.audit.list({ subject: env.id, kind: 'action.executed' }).entries).toHaveLength(1);
    expect(f.gate.get(env.id)?.state).toBe('executed');
  });

  it('refuses what a role may not ask for, and high risk from a forbidden origin', async () => {
    const f = await setUp();
    expect(await ask(f, 'cara', 'lock.front_door', 'unlock')).toMatchObject({ status: 'refused', code: 'ROLE_NOT_ALLOWED' });
    expect(await ask(f, 'cara', 'alarm_control_panel.home_alarm', 'alarm_disarm')).toMatchObject({ status: 'refused', code: 'ROLE_NOT_ALLOWED' });
    f.t.hub.ctx.settings.update({ policy: { overrides: { 'lock.front_door': { unlock: 'critical' } } } }, f.people.olivia!.id);
    expect(await ask(f, 'adam', 'lock.front_door', 'unlock', 'llm')).toMatchObject({ status: 'refused', code: 'ORIGIN_FORBIDDEN' });
    expect(await ask(f, 'adam', 'lock.front_door', 'unlock', 'web')).toMatchObject({ status: 'pending', envelope: { risk: 'critical' } });
    expect(await ask(f, 'adam', 'lock.nope', 'unlock')).toMatchObject({ status: 'refused', code: 'UNKNOWN_ENTITY' });
    expect(await ask(f, 'adam', 'sensor.temperature', 'turn_on')).toMatchObject({ status: 'refused', code: 'UNSUPPORTED_OPERATION' });
    f.registry.setAvailable('light.kitchen', false);
    expect(await ask(f, 'adam', 'light.kitchen', 'turn_on')).toMatchObject({ status: 'refused', code: 'ENTITY_UNAVAILABLE' });
    expect(f.adapter.commands).toEqual([]);
  });

  it('says no when nobody could approve (deny by default)', async () => {
    // The sole owner's PIN step-up (issue 17) is off here: then Olivia, the only owner, may not
    // approve her own unlock and nobody else could (tests/gate/hub-changes.test.ts has it on).
    const f = await setUp({ others: [{ username: 'adam', role: 'adult' }], settings: { policy: { sole_approver_pin: false } } });
    const out = await ask(f, 'olivia', 'lock.front_door', 'unlock');
    expect(out).toMatchObject({ status: 'refused', code: 'NO_APPROVER' });
    expect(f.gate.list({ state: 'pending' })).toEqual([]);
  });

  it('expires by the clock; an expired request can no longer be approved', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0));
    const f = await setUp({ clock });
    const env = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    expect(Date.parse(env.expires_at) - Date.parse(env.created_at)).toBe(300_000);
    clock.advance(299_000);
    expect(f.gate.get(env.id)?.state).toBe('pending');
    clock.advance(1_000);
    expect(await code(f.gate.decide(env.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'web', pin: '1357' }))).toBe('APPROVAL_EXPIRED');
    expect(f.gate.get(env.id)).toMatchObject({ state: 'expired', decisions: [], outcome: { code: 'EXPIRED' } });
    expect(f.adapter.commands).toEqual([]);
    expect(story(f, env.id)).toEqual(['approval.requested', 'approval.expired', 'approval.decision_refused']);
  });

  it("two approvers to disarm the alarm at night, in the home's time zone", async () => {
    // 23:30 in New York is 04:30 UTC the next day.
    const clock = new ManualClock(Date.UTC(2026, 5, 2, 3, 30));
    const f = await setUp({ clock, settings: { hub: { timezone: 'America/New_York' } } });
    const night = pending(await ask(f, 'adam', 'alarm_control_panel.home_alarm', 'alarm_disarm'));
    expect(night.policy).toMatchObject({ quorum: 2, approver_roles: ['adult', 'owner'] });
    const first = await f.gate.decide(night.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(first.state).toBe('pending');
    const second = await f.gate.decide(night.id, { member_id: f.people.olivia!.id, decision: 'approve', channel: 'telegram' });
    expect(second.state).toBe('executed');
    clock.set(Date.UTC(2026, 5, 2, 16, 0)); // noon there
    const day = pending(await ask(f, 'adam', 'alarm_control_panel.home_alarm', 'alarm_disarm'));
    expect(day.policy.quorum).toBe(1);
  });

  it('re-checks the policy before executing: a change while pending stops it', async () => {
    const f = await setUp();
    const env = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    f.t.hub.ctx.settings.update({ policy: { approvals: { high: { quorum: 2 } } } }, f.people.olivia!.id);
    const done = await f.gate.decide(env.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(done).toMatchObject({ state: 'failed', outcome: { code: 'POLICY_CHANGED' } });
    expect(f.adapter.commands).toEqual([]);
    expect(f.registry.get('lock.front_door')?.state).toBe('locked');
  });

  it('the requester can cancel; nobody else can', async () => {
    const f = await setUp();
    const env = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    expect(await code(() => f.gate.cancel(env.id, f.people.owen!.id, 'web'))).toBe('NOT_REQUESTER');
    expect(f.gate.cancel(env.id, f.people.adam!.id, 'web').state).toBe('cancelled');
    expect(await code(() => f.gate.cancel(env.id, f.people.adam!.id, 'web'))).toBe('APPROVAL_FINISHED');
  });

  it('unconfirmed when the device never reports; failed when the adapter errs', async () => {
    const f = await setUp({ settings: { policy: { confirm_timeout_s: 0.3 } } });
    f.adapter.mode = 'silent';
    const quiet = await ask(f, 'adam', 'light.kitchen', 'turn_on');
    expect(quiet).toMatchObject({ status: 'unconfirmed', detail: { code: 'NOT_CONFIRMED', expected_state: 'on', observed_state: 'off' } });
    f.adapter.mode = 'fail';
    const env = pending(await ask(f, 'adam', 'lock.front_door', 'unlock'));
    const failed = await f.gate.decide(env.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(failed).toMatchObject({ state: 'failed', outcome: { code: 'ADAPTER_ERROR' } });
    expect(story(f, env.id).slice(-3)).toEqual(['approval.executing', 'action.executed', 'approval.failed']);
  });

  it('keeps a lock code out of the audit trail while the device still gets it', async () => {
    const f = await setUp();
    const out = await f.gate.request({
      action: { entity_id: 'lock.front_door', operation: 'unlock', params: { code: '8642' } },
      origin: { member_id: f.people.adam!.id, channel: 'web' },
    });
    const env = pending(out);
    await f.gate.decide(env.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(f.adapter.commands).toEqual([{ entity_id: 'lock.front_door', operation: 'unlock', params: { code: '8642' } }]);
    const trail = JSON.stringify(f.t.hub.ctx.audit.list({ subject: env.id, limit: 100 }).entries);
    expect(trail).toContain('[redacted]');
    expect(trail).not.toContain('8642');
  });

  it('keeps secrets nested below the top level out of the trail too, while the device gets them whole', async () => {
    const f = await setUp();
    const params = { options: { code: '4242', label: 'guest' }, steps: [{ pin: '1357' }, { note: 'kept' }] };
    const out = await f.gate.request({
      action: { entity_id: 'lock.front_door', operation: 'unlock', params },
      origin: { member_id: f.people.adam!.id, channel: 'web' },
    });
    const env = pending(out);
    await f.gate.decide(env.id, { member_id: f.people.owen!.id, decision: 'approve', channel: 'telegram' });
    expect(f.adapter.commands).toEqual([{ entity_id: 'lock.front_door', operation: 'unlock', params }]);
    const trail = JSON.stringify(f.t.hub.ctx.audit.list({ subject: env.id, limit: 100 }).entries);
    expect(trail).not.toContain('4242');
    expect(trail).not.toContain('1357');
    expect(trail).toContain('"label":"guest"'); // what is not secret stays readable
    expect(trail).toContain('"note":"kept"');
  });

  it('hub actions go through the same path: support asks, an owner approves, the executor runs it', async () => {
    const f = await setUp({
      others: [
        { username: 'sam', role: 'support' },
        { username: 'adam', role: 'adult' },
      ],
    });
    const ran: unknown[] = [];
    f.gate.registerSystemAction('hub.service', 'restart', {
      risk: 'medium',
      run: async (p) => void ran.push(p),
      describe: (p) => `restarted ${String(p.service)}`,
    });
    const out = await f.gate.request({
      action: { entity_id: 'hub.service', operation: 'restart', params: { service: 'mqtt' } },
      origin: { member_id: f.people.sam!.id, channel: 'relay', actor: 'support:sam' },
    });
    const env = pending(out);
    expect(await ask(f, 'sam', 'light.kitchen', 'turn_on')).toMatchObject({ status: 'refused', code: 'ROLE_NOT_ALLOWED' });
    expect(await ask(f, 'adam', 'hub.service', 'restart')).toMatchObject({ status: 'refused', code: 'ROLE_NOT_ALLOWED' });
    const done = await f.gate.decide(env.id, { member_id: f.people.olivia!.id, decision: 'approve', channel: 'telegram' });
    expect(done).toMatchObject({ state: 'executed', outcome: { message: 'restarted mqtt' } });
    expect(ran).toEqual([{ service: 'mqtt' }]);
    expect(f.t.hub.ctx.audit.list({ subject: env.id, kind: 'approval.requested' }).entries[0]?.actor).toBe('support:sam');
  });
});
