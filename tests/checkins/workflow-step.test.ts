import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { api } from '../members/helpers.js';
import { said } from '../fakes/twilio.js';
import { MARY, attempts, createCheckin, settle, startPhoneHub, type PhoneHub } from './support.js';

const MORNING = Date.UTC(2026, 0, 15, 9, 0, 0);

const workflow = (who: string) => `name: Call Mary now
triggers:
  - manual: true
steps:
  - checkin: ${who}
`;

async function runToEnd(p: PhoneHub, source: string): Promise<any> {
  const created = await api(p.h.t, 'POST', '/workflows', { cookie: p.cookie, body: { source } });
  expect(created.status).toBe(201);
  const started = await api(p.h.t, 'POST', `/workflows/${created.body.id}/run`, { cookie: p.cookie, body: {} });
  expect(started.status).toBe(202);
  for (let i = 0; i < 100; i++) {
    const run = (await api(p.h.t, 'GET', `/workflow-runs/${started.body.run_id}`, { cookie: p.cookie })).body;
    if (run.state !== 'running' && run.state !== 'waiting') return run;
    await settle(50);
  }
  throw new Error('the run did not finish');
}

describe('the workflow `checkin` step', () => {
  let p: PhoneHub | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  it("starts the elder's check-in by name and records the attempt id as the step's output", async () => {
    p = await startPhoneHub(new ManualClock(MORNING));
    const c = await createCheckin(p, { retries: 0 });
    const run = await runToEnd(p, workflow('{ name: Mary }'));
    expect(run.state).toBe('done');
    const [a] = await attempts(p, c.id);
    expect(run.steps[0]).toMatchObject({ path: '0', state: 'done', output: { attempt_id: a.id, member_id: p.ids.mary, checkin_id: c.id } });
    await p.engine.tick();
    const call = await p.tw.callTo(MARY);
    expect(said(await p.tw.answer(call))).toMatch(/Hello Mary/);
    expect(p.tw.calls).toHaveLength(1);
  });

  it('fails the step in words when the member has no check-in; the schema refuses a step naming nobody', async () => {
    p = await startPhoneHub(new ManualClock(MORNING));
    const run = await runToEnd(p, workflow(`{ member_id: ${p.ids.ann} }`));
    expect(run.state).toBe('failed');
    expect(run.steps[0].error).toMatch(/Ann has no check-in to start/);
    expect(p.tw.calls).toHaveLength(0);
    const bad = await api(p.h.t, 'POST', '/workflows/validate', { cookie: p.cookie, body: { source: workflow('{ }') } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/exactly one of member_id or name/);
  });
});
