import { afterEach, describe, expect, it } from 'vitest';
import { createWorkflow, startWfHub, waitFor, type WfHub } from './support.js';

let h: WfHub | undefined;
afterEach(async () => {
  await h?.t.stop();
  h = undefined;
});

const N = 200;
const dev = { dev: { identifiers: ['burst_dev'], name: 'Burst device' } };

/** A sensor and a switch announced by MQTT discovery on the hub's broker; the switch reports each command back. */
async function device(h: WfHub): Promise<string[]> {
  const b = h.broker;
  await b.publish(
    'homeassistant/sensor/burst/burst_in/config',
    JSON.stringify({ name: 'Burst in', uniq_id: 'burst_in', default_entity_id: 'sensor.burst_in', stat_t: 'burst/in/state', ...dev }),
    { retain: true },
  );
  await b.publish(
    'homeassistant/switch/burst/burst_out/config',
    JSON.stringify({
      name: 'Burst out',
      uniq_id: 'burst_out',
      default_entity_id: 'switch.burst_out',
      cmd_t: 'burst/out/set',
      stat_t: 'burst/out/state',
      ...dev,
    }),
    { retain: true },
  );
  await b.publish('burst/out/state', 'ON', { retain: true });
  await waitFor(() => h.registry.get('sensor.burst_in') && h.registry.get('switch.burst_out')?.state === 'on', 'the burst device');
  const commands: string[] = [];
  let probed = false;
  b.subscribe('burst/out/#', (m) => {
    if (m.topic === 'burst/out/probe') probed = true;
    if (m.topic !== 'burst/out/set') return;
    commands.push(m.payload.toString());
    void b.publish('burst/out/state', m.payload.toString(), { retain: true });
  });
  // The subscription is in place once a probe comes back through it.
  await waitFor(async () => (await b.publish('burst/out/probe', '1'), probed), 'the command subscription');
  return commands;
}

const rule = (mode: string, max: number) => `name: Burst rule
mode: ${mode}
max: ${max}
max_runs_per_minute: 10000
triggers:
  - state: sensor.burst_in
conditions:
  - expr: "trigger.to >= 0"
steps:
  - action: {entity_id: switch.burst_out, operation: turn_on}
`;

const audited = (h: WfHub, kind: string): number =>
  (h.t.hub.ctx.store.db.prepare("SELECT COUNT(*) AS n FROM audit WHERE kind = ? AND actor LIKE 'workflow:%'").get(kind) as { n: number }).n;

describe('a burst of state changes through the broker', () => {
  it(`${N} changes at once to a parallel rule with max 50: ${N} commands on the device's topic and ${N} audited actions`, async () => {
    h = await startWfHub();
    const commands = await device(h);
    const id = await createWorkflow(h, rule('parallel', 50));
    // All at once: more changes arrive than the rule may run at a time.
    await Promise.all(Array.from({ length: N }, (_, i) => h!.broker.publish('burst/in/state', String(i + 1))));
    await waitFor(() => commands.length >= N, `${N} commands (got ${commands.length})`);
    await h.wf.engine.idle();
    await waitFor(() => h!.wf.store.openRuns(id).length === 0, 'every run finished');
    expect(commands).toHaveLength(N);
    expect(audited(h, 'action.requested')).toBe(N);
    expect(audited(h, 'action.confirmed')).toBe(N);
    expect(audited(h, 'workflow.run_done')).toBe(N);
    expect(audited(h, 'workflow.dropped')).toBe(0);
  });

  it('a trigger beyond what may wait is dropped and told once for the burst, not silently', async () => {
    h = await startWfHub();
    const commands = await device(h);
    const id = await createWorkflow(h, rule('parallel', 1).replace('max_runs_per_minute: 10000', 'max_runs_per_minute: 10000\nmax_queued: 5'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => h!.broker.publish('burst/in/state', String(i + 1))));
    // One running, five waiting; the others are dropped, and that is in the trail once, when the rule caught up.
    const dropped = await waitFor(() => {
      const rows = h!.t.hub.ctx.store.db.prepare("SELECT data FROM audit WHERE kind = 'workflow.dropped'").all() as { data: string }[];
      return rows.length ? rows : undefined;
    }, 'the drop told');
    await h.wf.engine.idle();
    await waitFor(() => h!.wf.store.openRuns(id).length === 0, 'every run finished');
    expect(dropped).toHaveLength(1);
    const told = JSON.parse(dropped[0]!.data) as { dropped: number };
    expect(told).toMatchObject({ max: 1, max_queued: 5 });
    expect(commands.length).toBeGreaterThanOrEqual(6);
    expect(commands.length + told.dropped).toBe(20);
    expect(audited(h, 'workflow.run_done')).toBe(commands.length);
  });
});
