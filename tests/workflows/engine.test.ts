import { afterEach, describe, expect, it } from 'vitest';
import { advance, api, backDoor, createWorkflow, startWfHub, waitFor, type WfHub } from './support.js';

let h: WfHub | undefined;
afterEach(async () => {
  await h?.t.stop();
  h = undefined;
});

const porch = `name: Porch light when the back door opens
triggers:
  - state: binary_sensor.demo_back_door
    to: "on"
    for: 2s
steps:
  - action: {entity_id: light.demo_porch, operation: turn_on}
  - wait: 10m
  - action: {entity_id: light.demo_porch, operation: turn_off}
`;

describe('workflow runs on the demo home', () => {
  it('a state trigger with for: runs only when the state held, acts through the gate, and waits durably', async () => {
    h = await startWfHub();
    const id = await createWorkflow(h, porch);
    // Opened and closed within the 2 s: nothing runs.
    await backDoor(h, true);
    await advance(h, 1000);
    await backDoor(h, false);
    await advance(h, 5000);
    expect((await api(h.t.url, h.owner, 'GET', `/workflows/${id}/runs`)).body.runs).toHaveLength(0);
    // Opened and left open: a run.
    await backDoor(h, true);
    await advance(h, 1999);
    expect((await api(h.t.url, h.owner, 'GET', `/workflows/${id}/runs`)).body.runs).toHaveLength(0);
    await advance(h, 1);
    await waitFor(() => h!.registry.get('light.demo_porch')?.state === 'on', 'the porch light on');
    const runs = (await api(h.t.url, h.owner, 'GET', `/workflows/${id}/runs`)).body.runs;
    expect(runs).toHaveLength(1);
    const runId = runs[0].id as string;
    await waitFor(async () => (await api(h!.t.url, h!.owner, 'GET', `/workflow-runs/${runId}`)).body.state === 'waiting', 'the run waiting');
    await advance(h, 10 * 60_000 - 1);
    expect(h.registry.get('light.demo_porch')?.state).toBe('on');
    await advance(h, 1);
    await waitFor(() => h!.registry.get('light.demo_porch')?.state === 'off', 'the porch light off');
    const run = await waitFor(async () => {
      const r = (await api(h!.t.url, h!.owner, 'GET', `/workflow-runs/${runId}`)).body;
      return r.state === 'done' ? r : undefined;
    }, 'the run done');
    expect(run.trigger).toMatchObject({ kind: 'state', entity_id: 'binary_sensor.demo_back_door', to: 'on' });
    expect(run.steps.map((s: { kind: string; state: string }) => `${s.kind}:${s.state}`)).toEqual(['action:done', 'wait:done', 'action:done']);
    // Each action is in the audit trail, asked by this run's step.
    const audit = (await api(h.t.url, h.owner, 'GET', `/audit?actor=workflow:${runId}:0`)).body;
    expect(JSON.stringify(audit)).toContain('action.requested');
  });

  it('a dry run acts on nothing and says what it would do', async () => {
    h = await startWfHub();
    const id = await createWorkflow(h, porch);
    const r = await api(h.t.url, h.owner, 'POST', `/workflows/${id}/run`, { dry_run: true });
    expect(r.status).toBe(202);
    await h.wf.engine.idle();
    const run = (await api(h.t.url, h.owner, 'GET', `/workflow-runs/${r.body.run_id}`)).body;
    expect(run).toMatchObject({ state: 'done', dry_run: true });
    expect(run.steps[0].output).toMatchObject({ dry_run: true, would: 'turn_on light.demo_porch' });
    expect(h.registry.get('light.demo_porch')?.state).toBe('off');
    const audit = (await api(h.t.url, h.owner, 'GET', '/audit?kind=action.*')).body.entries;
    expect(audit).toHaveLength(0);
  });

  it('refuses invalid YAML with its line, and only the owner writes', async () => {
    h = await startWfHub({ others: [{ username: 'adam', role: 'adult' }] });
    const bad = await api(h.t.url, h.owner, 'POST', '/workflows', { source: porch.replace('for: 2s', 'for: two seconds') });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('WORKFLOW_INVALID');
    expect(bad.body.error.message).toMatch(/^line 5: .*not a duration/);
    const adult = await api(h.t.url, h.people.adam!, 'POST', '/workflows', { source: porch });
    expect(adult.status).toBe(403);
    const id = await createWorkflow(h, porch);
    expect((await api(h.t.url, h.people.adam!, 'PATCH', `/workflows/${id}`, { enabled: false })).status).toBe(403);
    expect((await api(h.t.url, h.owner, 'PATCH', `/workflows/${id}`, { enabled: false })).body.enabled).toBe(false);
    expect((await api(h.t.url, h.people.adam!, 'GET', '/workflows')).body.workflows.map((w: { id: string }) => w.id)).toContain(id);
    expect((await api(h.t.url, h.owner, 'DELETE', `/workflows/${id}`)).status).toBe(204);
    expect((await api(h.t.url, h.owner, 'GET', `/workflows/${id}`)).status).toBe(404);
  });

  it('an action the gate was asked for before a crash (its key in the trail, no step row) is not asked again', async () => {
    h = await startWfHub();
    const id = await createWorkflow(h, porch);
    const def = JSON.stringify((await import('../../src/workflows/parse.js')).parseWorkflow(porch));
    const runId = 'wfr_crashed_mid_action';
    const now = h.clock.now();
    h.wf.store.insertRun({
      id: runId,
      workflow_id: id,
      state: 'running',
      queued: 0,
      dry_run: 0,
      trigger: '{"kind":"manual"}',
      definition: def,
      started_at: now,
      finished_at: null,
      error: null,
    });
    // What the gate wrote before the process died: the request, under the step's key.
    h.t.hub.ctx.audit.append({ actor: `workflow:${runId}:0`, origin: 'workflow', kind: 'action.requested', subject: 'act_before_crash', data: {} });
    // As start-up does with every run it finds open.
    await h.wf.engine.resume(runId);
    const run = (await api(h.t.url, h.owner, 'GET', `/workflow-runs/${runId}`)).body;
    expect(run.steps[0]).toMatchObject({ kind: 'action', state: 'done', ref: 'act_before_crash', output: { note: expect.stringMatching(/not repeated/) } });
    expect(run.steps[1]).toMatchObject({ kind: 'wait', state: 'waiting' });
    const asked = (await api(h.t.url, h.owner, 'GET', `/audit?actor=workflow:${runId}:0&kind=action.requested`)).body.entries;
    expect(asked).toHaveLength(1);
    expect(h.registry.get('light.demo_porch')?.state).toBe('off');
  });
});
