import { afterEach, describe, expect, it } from 'vitest';
import { spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';
import { login, stopProcess, waitFor } from './support.js';

let hub: HubProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await stopProcess(hub, dirs);
  hub = undefined;
});

const WAIT_MS = 6000;
const env = { HEARTH_HUB_DEMO: 'true' };

describe('a workflow across a kill -9 of a real hearth start', () => {
  it('resumes the wait at its original due time and does not repeat the first step', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    hub = await spawnHub(['--data', dataDir], { env });
    const owner = (await makeFamily(hub.url, dataDir, [])).olivia!;
    const created = await api(hub.url, owner, 'POST', '/workflows', {
      source: `name: Porch for a while\ntriggers: [{manual: true}]\nsteps:\n  - action: {entity_id: light.demo_porch, operation: turn_on}\n  - wait: ${WAIT_MS / 1000}s\n  - action: {entity_id: light.demo_porch, operation: turn_off}\n`,
    });
    expect(created.status).toBe(201);
    const light = async (url: string, who: typeof owner) => (await api(url, who, 'GET', '/entities/light.demo_porch')).body?.state as string | undefined;
    await waitFor(async () => (await light(hub!.url, owner)) === 'off', 'the demo porch light');
    const runId = (await api(hub.url, owner, 'POST', `/workflows/${created.body.id}/run`, {})).body.run_id as string;
    const waiting = await waitFor(async () => {
      const r = (await api(hub!.url, owner, 'GET', `/workflow-runs/${runId}`)).body;
      return r.state === 'waiting' && r.steps[1]?.state === 'waiting' ? r : undefined;
    }, 'the run waiting');
    const dueAt = waiting.steps[1].output.due_at as number;
    expect(await light(hub.url, owner)).toBe('on');

    hub.child.kill('SIGKILL');
    await hub.exited;
    hub = await spawnHub(['--data', dataDir], { env });
    const restartedAt = Date.now();
    const again = await login(hub.url, 'olivia');
    const done = await waitFor(
      async () => {
        const r = (await api(hub!.url, again, 'GET', `/workflow-runs/${runId}`)).body;
        return r.state === 'done' ? r : undefined;
      },
      'the run done after the restart',
      30_000,
    );
    const waited = done.steps[1];
    const finished = Date.parse(waited.finished_at);
    // At its original due time: not before it, and not a fresh 6 s counted from the restart.
    expect(finished).toBeGreaterThanOrEqual(dueAt);
    expect(finished).toBeLessThan(restartedAt + WAIT_MS);
    expect(done.steps.map((s: { kind: string; state: string }) => `${s.kind}:${s.state}`)).toEqual(['action:done', 'wait:done', 'action:done']);
    // The first step asked the gate once, in all.
    const asked = (await api(hub.url, again, 'GET', `/audit?actor=${encodeURIComponent(`workflow:${runId}:0`)}&kind=action.requested`)).body.entries;
    expect(asked).toHaveLength(1);
    await waitFor(async () => (await light(hub!.url, again)) === 'off', 'the porch light off');
  });
});
