import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { api } from '../members/helpers.js';
import { MARY, attempts, callNow, createCheckin, settle, startPhoneHub, type PhoneHub } from './support.js';

const MORNING = Date.UTC(2026, 0, 15, 9, 0, 0);

const workflow = `name: When a check-in is missed
triggers:
  - event: checkin.missed
steps:
  - notify: {to: [owner], text: "{{ trigger.name }} did not answer ({{ trigger.outcome }})"}
`;

describe('the hub event checkin.missed', () => {
  let p: PhoneHub | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  it('starts a workflow with `event: checkin.missed` when the last try goes unanswered, not before', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const created = await api(p.h.t, 'POST', '/workflows', { cookie: p.cookie, body: { source: workflow } });
    expect(created.status).toBe(201);
    const runs = async () => (await api(p!.h.t, 'GET', `/workflows/${created.body.id}/runs`, { cookie: p!.cookie })).body.runs as any[];
    const c = await createCheckin(p, { retries: 1, retry_after_min: 5 });
    await callNow(p, c.id);
    // First try: no answer; a second call is due, so nothing is missed yet.
    await p.tw.end(await p.tw.callTo(MARY), 'no-answer');
    await p.pass();
    expect((await attempts(p, c.id))[0]).toMatchObject({ state: 'waiting', outcome: 'no_answer' });
    await settle(100);
    expect(await runs()).toHaveLength(0);
    // Last try: busy. Escalation starts, and so does the workflow.
    clock.advance(5 * 60_000);
    await p.pass();
    const second = await p.tw.waitFor(() => p!.tw.calls[1], 'the second call');
    await p.tw.end(second, 'busy');
    await p.pass();
    const [a] = await attempts(p, c.id);
    expect(a).toMatchObject({ state: 'escalated', outcome: 'busy' });
    let list: any[] = [];
    for (let i = 0; i < 100 && list.length === 0; i++) {
      list = await runs();
      if (list.length === 0) await settle(50);
    }
    expect(list).toHaveLength(1);
    expect(list[0].trigger).toMatchObject({
      kind: 'event',
      event: 'checkin.missed',
      checkin_id: c.id,
      attempt_id: a.id,
      member_id: p.ids.mary,
      name: 'Mary',
      outcome: 'busy',
      tries: 2,
    });
  });
});
