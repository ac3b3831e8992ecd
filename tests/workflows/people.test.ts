import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowsService } from '../../src/workflows/service.js';
import type { EntityRegistry } from '../../src/devices/registry.js';
import { addMember, pair, startTgHub, waitMessage, type TgHub } from '../telegram/support.js';
import { advance, api, createWorkflow, runsOf, startWfHub, waitFor, type WfHub } from './support.js';

let tgh: TgHub | undefined;
let h: WfHub | undefined;
afterEach(async () => {
  await tgh?.stop();
  await h?.t.stop();
  tgh = undefined;
  h = undefined;
});

const who = { actor: 'test', origin: 'cli' as const };

describe('workflows that need people', () => {
  it('an ask goes out on Telegram with buttons, waits durably, and the answer from the Bot API drives the run', async () => {
    tgh = await startTgHub({ demo: true });
    const owner = await addMember(tgh, 'olivia', 'owner');
    const user = tgh.tg.user(555_001, 'Olivia');
    await pair(tgh, owner, user);
    const wf = tgh.t.hub.services.get<WorkflowsService>('workflows')!;
    const registry = (wf as unknown as { deps: { entities: EntityRegistry } }).deps.entities;
    await waitFor(() => registry.get('light.demo_porch'), 'the demo porch light');
    const { id } = wf.create(
      `name: Ask first
triggers: [{manual: true}]
steps:
  - ask: {to: [owner], text: "Turn the porch light on?", choices: ["yes", "no"], timeout: 10m, save_as: answer}
  - if: {expr: "answer == 'yes'"}
    then: [{action: {entity_id: light.demo_porch, operation: turn_on}}]
`,
      who,
    );
    const runId = await wf.runNow(id, { dry_run: false, by: owner.id });
    const msg = await waitMessage(tgh.tg, user.id, /Turn the porch light on\?/);
    const buttons = msg.reply_markup!.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(['yes', 'no']);
    expect(wf.run(runId)!.state).toBe('waiting');
    tgh.tg.press(user, msg, buttons[0]!.callback_data!);
    await waitFor(() => wf.run(runId)!.state === 'done', 'the run done');
    const run = wf.run(runId)!;
    expect(run.steps[0]!.output).toMatchObject({ answer: 'yes', by: owner.id, via: 'telegram' });
    expect(run.steps.map((s) => `${s.path}:${s.kind}:${s.state}`)).toEqual(['0:ask:done', '1:if:done', '1.then.0:action:done']);
    await waitFor(() => registry.get('light.demo_porch')?.state === 'on', 'the porch light on');
    // A second press is refused: the first answer counts.
    tgh.tg.press(user, msg, buttons[1]!.callback_data!);
    await tgh.tg.waitFor(() => tgh!.tg.callsOf('answerCallbackQuery').some((c) => /Already/.test(String((c.params as { text?: string }).text))), 'the refusal');
  });

  it('a high-risk step waits for its envelope and goes on when a person approves it; a workflow never approves', async () => {
    h = await startWfHub();
    const id = await createWorkflow(
      h,
      `name: Let the cleaner in
triggers: [{manual: true}]
steps:
  - action: {entity_id: lock.demo_front_door, operation: unlock}
  - notify: {to: [owner], text: "The front door is {{ states.lock.demo_front_door }}"}
`,
    );
    const runId = (await api(h.t.url, h.owner, 'POST', `/workflows/${id}/run`, {})).body.run_id as string;
    await h.wf.engine.idle();
    let run = (await api(h.t.url, h.owner, 'GET', `/workflow-runs/${runId}`)).body;
    expect(run.state).toBe('waiting');
    expect(run.steps[0]).toMatchObject({ kind: 'action', state: 'waiting', output: { status: 'pending' } });
    const envelopeId = run.steps[0].ref as string;
    const env = (await api(h.t.url, h.owner, 'GET', `/approvals/${envelopeId}`)).body;
    expect(env).toMatchObject({ state: 'pending', origin: { channel: 'workflow', member_id: null }, decisions: [] });
    // Time passing does not move it: only the envelope does.
    await advance(h, 60_000);
    expect((await api(h.t.url, h.owner, 'GET', `/workflow-runs/${runId}`)).body.state).toBe('waiting');
    const decided = await api(h.t.url, h.owner, 'POST', `/approvals/${envelopeId}/decision`, { decision: 'approve', pin: '2468' });
    expect(decided.status).toBe(200);
    run = await waitFor(async () => {
      const r = (await api(h!.t.url, h!.owner, 'GET', `/workflow-runs/${runId}`)).body;
      return r.state === 'done' ? r : undefined;
    }, 'the run done');
    expect(run.steps[0].output).toMatchObject({ status: 'executed', approval_id: envelopeId });
    expect(run.steps[1].output.text).toBe('The front door is unlocked');
    const final = (await api(h.t.url, h.owner, 'GET', `/approvals/${envelopeId}`)).body;
    expect(final.decisions.map((d: { member_id: string }) => d.member_id)).toEqual([h.owner.id]);
  });

  it('a denied envelope fails the step and the run, with the reason on the step', async () => {
    h = await startWfHub();
    const id = await createWorkflow(
      h,
      `name: Open garage\ntriggers: [{manual: true}]\nsteps:\n  - action: {entity_id: cover.demo_garage_door, operation: open_cover}\n  - notify: {to: [owner], text: "never sent"}\n`,
    );
    const runId = (await api(h.t.url, h.owner, 'POST', `/workflows/${id}/run`, {})).body.run_id as string;
    await h.wf.engine.idle();
    const envelopeId = (await api(h.t.url, h.owner, 'GET', `/workflow-runs/${runId}`)).body.steps[0].ref as string;
    expect((await api(h.t.url, h.owner, 'POST', `/approvals/${envelopeId}/decision`, { decision: 'deny' })).status).toBe(200);
    const run = await waitFor(async () => {
      const r = (await api(h!.t.url, h!.owner, 'GET', `/workflow-runs/${runId}`)).body;
      return r.state === 'failed' ? r : undefined;
    }, 'the run failed');
    expect(run.steps).toHaveLength(1);
    expect(run.steps[0]).toMatchObject({ state: 'failed', error: expect.stringMatching(/denied/) });
    expect(h.registry.get('cover.demo_garage_door')?.state).toBe('closed');
  });

  it('a step on an entity that disappeared fails with the reason, and the runs are kept', async () => {
    h = await startWfHub();
    const id = await createWorkflow(h, `name: Gone\ntriggers: [{manual: true}]\nsteps:\n  - action: {entity_id: light.shed, operation: turn_on}\n`);
    const runId = (await api(h.t.url, h.owner, 'POST', `/workflows/${id}/run`, {})).body.run_id as string;
    await h.wf.engine.idle();
    const run = (await api(h.t.url, h.owner, 'GET', `/workflow-runs/${runId}`)).body;
    expect(run.state).toBe('failed');
    expect(run.steps[0].error).toMatch(/light\.shed|not found|unknown/i);
    expect(await runsOf(h, id)).toHaveLength(1);
  });

  it('a runaway is stopped by the rate limit and the owner is told', async () => {
    h = await startWfHub();
    const id = await createWorkflow(
      h,
      `name: Loop\nmode: parallel\nmax: 50\nmax_runs_per_minute: 5\ntriggers: [{manual: true}]\nsteps:\n  - llm: {prompt: x, template: y}\n`,
    );
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await api(h.t.url, h.owner, 'POST', `/workflows/${id}/run`, {})).status);
    expect(codes.filter((c) => c === 202)).toHaveLength(5);
    expect(codes.filter((c) => c === 409)).toHaveLength(3);
    const notes = (await api(h.t.url, h.owner, 'GET', '/notifications')).body.notifications.filter((n: { kind: string }) => n.kind === 'workflow.runaway');
    expect(notes).toHaveLength(1);
    expect(notes[0].text).toMatch(/"Loop" started more than 5 times in a minute/);
  });

  it('a rate limit above the 200 runs kept per workflow still holds (pruned runs still count)', async () => {
    h = await startWfHub();
    const id = await createWorkflow(
      h,
      `name: Busy loop\nmode: parallel\nmax: 50\nmax_runs_per_minute: 240\ntriggers: [{manual: true}]\nsteps:\n  - llm: {prompt: x, template: y}\n`,
    );
    let started = 0;
    let refused = 0;
    for (let i = 0; i < 260; i++) {
      const ok = await h.wf.runNow(id, { dry_run: false, by: 'test' }).then(
        () => true,
        () => false,
      );
      if (ok) started++;
      else refused++;
      if (i % 20 === 0) await h.wf.engine.idle();
    }
    expect(started).toBe(240);
    expect(refused).toBe(20);
  });
});
