import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { ManualClock } from '../../src/core/clock.js';
import { tempDir } from '../helpers/hub.js';
import { advance, createWorkflow, runsOf, startWfHub, type WfHub } from './support.js';

let h: WfHub | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.t.stop();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const daily = (time: string, extra = '') => `name: Daily at ${time}
${extra}triggers:
  - cron: "${time.split(':')[1]} ${Number(time.split(':')[0])} * * *"
steps:
  - llm: {prompt: "x", template: "ran"}
`;
const berlin = { hub: { timezone: 'Europe/Berlin' } };
const MIN = 60_000;

describe('cron triggers with a manual clock', () => {
  it('a daily 02:30 job runs once on each day across the spring-forward night, at 03:00 on the day 02:30 does not exist', async () => {
    h = await startWfHub({ at: Date.UTC(2026, 2, 27, 12, 0), settings: berlin });
    const id = await createWorkflow(h, daily('02:30'));
    for (let i = 0; i < (3 * 24 * 60) / 15; i++) await advance(h, 15 * MIN);
    const runs = (await runsOf(h, id)).reverse();
    expect(runs.map((r) => r.trigger.due_at)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(runs.every((r) => r.state === 'done')).toBe(true);
  });

  it('a 10-second block of the event loop over a slot makes it late, not lost, and never doubled', async () => {
    h = await startWfHub({ at: Date.UTC(2026, 0, 5, 6, 29, 55) });
    const id = await createWorkflow(h, daily('06:30'));
    await advance(h, 10_000); // the clock jumps past 06:30 while nothing ran
    expect(await runsOf(h, id)).toHaveLength(1);
    for (let i = 0; i < 10; i++) await advance(h, 30_000);
    await h.wf.tick();
    expect(await runsOf(h, id)).toHaveLength(1);
  });

  for (const policy of ['once', 'skip'] as const) {
    it(`slots missed while the hub was down: catch_up ${policy}`, async () => {
      const dataDir = tempDir();
      dirs.push(dataDir);
      const clock = new ManualClock(Date.UTC(2026, 0, 5, 6, 0));
      h = await startWfHub({ clock, dataDir });
      const id = await createWorkflow(h, daily('06:30', `catch_up: ${policy}\n`));
      await h.t.stop();
      clock.advance(3 * 24 * 60 * MIN); // down for three days: three slots missed
      h = await startWfHub({ clock, dataDir, again: true });
      await h.wf.tick();
      await h.wf.engine.idle();
      const runs = await runsOf(h, id);
      expect(runs).toHaveLength(policy === 'once' ? 1 : 0);
      // And the schedule goes on from now: the next slot runs once.
      await advance(h, 24 * 60 * MIN);
      expect(await runsOf(h, id)).toHaveLength(policy === 'once' ? 2 : 1);
    });
  }
});
