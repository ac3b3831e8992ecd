import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { ManualClock } from '../../src/core/clock.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { connect, registryOf } from '../devices/helpers.js';
import { api, makeFamily, type Person } from '../gate/support.js';
import type { WorkflowsService } from '../../src/workflows/service.js';
import { startWfHub, waitFor, type WfHub } from './support.js';

/**
 * The built-in packs name no device: they select by kind. Switched on in a real home (demo off,
 * devices announced by a real MQTT client through Home Assistant discovery) they act on those
 * devices; with the demo on, on the demo's.
 */

let t: TestHub | undefined;
let h: WfHub | undefined;
let device: MqttClient | undefined;
afterEach(async () => {
  device?.end(true);
  device = undefined;
  await t?.stop();
  await h?.t.stop();
  t = h = undefined;
});

type StepView = { path: string; kind: string; state: string; output?: Record<string, unknown>; error?: string };
type RunView = { id: string; state: string; error: string | null; steps: StepView[] };

/** A small house: a lock, a garage door, a window blind, two lights; each answers its commands as the real device would. */
async function realHouse(hub: TestHub): Promise<{ client: MqttClient; commands: string[] }> {
  const client = await connect(hub, { clientId: 'house_bridge' });
  const commands: string[] = [];
  const dev = (id: string, name: string) => ({ identifiers: [id], name, manufacturer: 'Acme' });
  const configs: [string, Record<string, unknown>][] = [
    ['lock/front', { name: 'Front door', uniq_id: 'house_front', cmd_t: 'house/front/set', stat_t: 'house/front/state', dev: dev('front', 'Front door') }],
    [
      'cover/garage',
      { name: 'Garage', uniq_id: 'house_garage', dev_cla: 'garage', cmd_t: 'house/garage/set', stat_t: 'house/garage/state', dev: dev('garage', 'Garage') },
    ],
    [
      'cover/blind',
      { name: 'Study blind', uniq_id: 'house_blind', dev_cla: 'blind', cmd_t: 'house/blind/set', stat_t: 'house/blind/state', dev: dev('blind', 'Blind') },
    ],
    ['light/hall', { name: 'Hall light', uniq_id: 'house_hall', cmd_t: 'house/hall/set', stat_t: 'house/hall/state', dev: dev('hall', 'Hall light') }],
    ['light/porch', { name: 'Porch light', uniq_id: 'house_porch', cmd_t: 'house/porch/set', stat_t: 'house/porch/state', dev: dev('porch', 'Porch light') }],
  ];
  const answers: Record<string, string> = { LOCK: 'LOCKED', UNLOCK: 'UNLOCKED', CLOSE: 'closed', OPEN: 'open', ON: 'ON', OFF: 'OFF' };
  client.on('message', (topic, payload) => {
    const text = payload.toString();
    commands.push(`${topic} ${text}`);
    const answer = answers[text];
    if (answer) void client.publishAsync(topic.replace(/\/set$/, '/state'), answer, { retain: true });
  });
  await client.subscribeAsync('house/+/set');
  for (const [path, cfg] of configs) await client.publishAsync(`homeassistant/${path}/config`, JSON.stringify(cfg), { retain: true });
  await client.publishAsync('house/front/state', 'UNLOCKED', { retain: true });
  await client.publishAsync('house/garage/state', 'open', { retain: true });
  await client.publishAsync('house/blind/state', 'open', { retain: true });
  await client.publishAsync('house/hall/state', 'ON', { retain: true });
  await client.publishAsync('house/porch/state', 'ON', { retain: true });
  const registry = registryOf(hub);
  await waitFor(() => registry.list().filter((e) => e.source === 'mqtt' && e.state !== 'unknown').length >= 5, 'the house to be discovered');
  return { client, commands };
}

async function runPack(url: string, owner: Person, pack: string): Promise<RunView> {
  expect((await api(url, owner, 'PATCH', `/workflows/${pack}`, { enabled: true })).status).toBe(200);
  const started = await api(url, owner, 'POST', `/workflows/${pack}/run`, {});
  expect(started.status).toBe(202);
  const runId = (started.body as { run_id: string }).run_id;
  return waitFor(async () => {
    const r = (await api(url, owner, 'GET', `/workflow-runs/${runId}`)).body as RunView;
    return r.state === 'done' || r.state === 'failed' ? r : undefined;
  }, `the ${pack} run to end`);
}

/** The entity and operation of every action the run asked the gate for (the resolved ones, not the selections). */
const actionsOf = (run: RunView) =>
  run.steps.filter((s) => s.kind === 'action' && s.output && 'status' in s.output).map((s) => ({ path: s.path, status: s.output!.status as string }));

describe('built-in packs in any home', () => {
  it('goodnight, switched on in a real home with the demo off, locks the lock and closes the garage it discovered, and never unlocks', async () => {
    t = await startTestHub({ clock: new ManualClock(Date.UTC(2026, 0, 5, 22, 0)), settings: { mqtt: { allow_anonymous: true } } });
    const people = await makeFamily(t.url, t.dataDir, []);
    const owner = people.olivia!;
    const house = await realHouse(t);
    device = house.client;
    const registry = registryOf(t);
    const lock = registry.list().find((e) => e.domain === 'lock')!;
    const garage = registry.list().find((e) => e.domain === 'cover' && e.attributes.device_class === 'garage')!;

    const run = await runPack(t.url, owner, 'pack_goodnight');
    expect(run.error).toBeNull();
    expect(run.state).toBe('done');
    // The commands reached the devices' own command topics.
    await waitFor(() => house.commands.includes('house/front/set LOCK') && house.commands.includes('house/garage/set CLOSE'), 'lock and close commands');
    await waitFor(() => house.commands.includes('house/hall/set OFF') && house.commands.includes('house/porch/set OFF'), 'lights off');
    await waitFor(() => registry.get(lock.id)?.state === 'locked' && registry.get(garage.id)?.state === 'closed', 'the house locked up');
    // Never an unlock or an open, and the blind (not a garage) is left alone.
    expect(house.commands.filter((c) => /UNLOCK|OPEN/.test(c))).toEqual([]);
    expect(house.commands.filter((c) => c.startsWith('house/blind/'))).toEqual([]);
    // Each selected entity is its own gate request from the workflow, audited under its own step key.
    const selections = run.steps.filter((s) => s.kind === 'action' && s.output && 'targets' in s.output);
    expect(selections.map((s) => s.output!.targets).flat()).toEqual(expect.arrayContaining([lock.id, garage.id]));
    expect(actionsOf(run)).toHaveLength(4);
    const audit = (await api(t.url, owner, 'GET', `/audit?kind=action.requested&limit=50`)).body as {
      entries: { actor: string; data?: Record<string, unknown>; subject: string }[];
    };
    const asked = audit.entries.filter((e) => e.actor.startsWith(`workflow:${run.id}:`));
    expect(asked).toHaveLength(4);
    const text = JSON.stringify(asked);
    for (const op of ['"lock"', '"close_cover"', '"turn_off"']) expect(text).toContain(op);
    expect(text).not.toMatch(/"(unlock|open|open_cover|alarm_disarm)"/);
  });

  it('a selection that finds nothing is a step that did nothing, said plainly, not a failure', async () => {
    t = await startTestHub({ clock: new ManualClock(Date.UTC(2026, 0, 5, 22, 0)) });
    const owner = (await makeFamily(t.url, t.dataDir, [])).olivia!;
    const run = await runPack(t.url, owner, 'pack_goodnight');
    expect(run.state).toBe('done');
    const empty = run.steps.filter((s) => s.kind === 'action' && typeof s.output?.note === 'string');
    expect(empty.map((s) => s.output!.note)).toEqual(
      expect.arrayContaining(['Nothing to do: no lock in the home.', 'Nothing to do: no cover (garage) in the home.']),
    );
    const brief = await runPack(t.url, owner, 'pack_morning_brief');
    expect(String(brief.steps.find((s) => s.kind === 'llm')!.output!.text)).toContain('Locks: none. Doors (on is open): none.');
  });

  it('goodnight with the demo on acts on the demo home', async () => {
    h = await startWfHub();
    await h.broker.publish('hearth/demo/garage_door/set', 'OPEN');
    await waitFor(() => h!.registry.get('cover.demo_garage_door')?.state === 'open', 'the demo garage open');
    const run = await runPack(h.t.url, h.owner, 'pack_goodnight');
    expect(run.state).toBe('done');
    const targets = run.steps.flatMap((s) => (s.output && Array.isArray(s.output.targets) ? (s.output.targets as string[]) : []));
    expect(targets).toEqual(expect.arrayContaining(['lock.demo_front_door', 'cover.demo_garage_door', 'light.demo_kitchen', 'light.demo_porch']));
    await waitFor(() => h!.registry.get('cover.demo_garage_door')?.state === 'closed', 'the demo garage closed');
    await waitFor(() => h!.registry.get('light.demo_kitchen')?.state === 'off', 'the demo kitchen light off');
    // The morning brief reads the same home by kind.
    const brief = await runPack(h.t.url, h.owner, 'pack_morning_brief');
    expect(brief.state).toBe('done');
    const text = String(brief.steps.find((s) => s.kind === 'llm')!.output!.text);
    expect(text).toMatch(/Locks: [^.]*Front door: locked\./);
    expect(text).toMatch(/Garage: [^.]*Garage door: closed\./);
    expect(text).toMatch(/Doors \(on is open\): [^.]*Back door: (on|off)\./);
  });

  it('door left open watches every discovered door sensor, each with its own ten minutes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 12, 0));
    t = await startTestHub({ clock, settings: { mqtt: { allow_anonymous: true } } });
    const owner = (await makeFamily(t.url, t.dataDir, [])).olivia!;
    const wf = t.hub.services.get<WorkflowsService>('workflows')!;
    device = await connect(t, { clientId: 'door_bridge' });
    for (const [id, cls] of [
      ['back', 'door'],
      ['side', 'door'],
      ['hall', 'motion'],
    ] as const)
      await device.publishAsync(
        `homeassistant/binary_sensor/${id}/config`,
        JSON.stringify({ name: `${id} sensor`, uniq_id: `house_${id}`, dev_cla: cls, stat_t: `house/${id}`, dev: { identifiers: [id], name: id } }),
        { retain: true },
      );
    const registry = registryOf(t);
    await waitFor(() => registry.list().filter((e) => e.domain === 'binary_sensor').length === 3, 'the sensors');
    expect((await api(t.url, owner, 'PATCH', '/workflows/pack_door_left_open', { enabled: true })).status).toBe(200);
    const runs = async () => ((await api(t!.url, owner, 'GET', '/workflows/pack_door_left_open/runs')).body as { runs: RunView[] }).runs;
    const set = async (id: string, state: 'ON' | 'OFF') => {
      await device!.publishAsync(`house/${id}`, state);
      await waitFor(() => registry.list().find((e) => e.attributes.device_class && e.name.startsWith(id))?.state === state.toLowerCase(), `${id} ${state}`);
    };
    const advance = async (ms: number) => {
      clock.advance(ms);
      await wf.tick();
      await wf.engine.idle();
    };
    await set('back', 'ON');
    await advance(5 * 60_000);
    await set('side', 'ON');
    await set('hall', 'ON'); // motion, not a door
    await advance(5 * 60_000);
    // The back door's ten minutes are up; the side door's are not (a second door did not reset the first).
    await waitFor(async () => (await runs()).length === 1, 'one run');
    await set('side', 'OFF');
    await advance(10 * 60_000);
    const all = await runs();
    expect(all).toHaveLength(1);
    expect((all[0] as unknown as { trigger: Record<string, unknown> }).trigger).toMatchObject({ to: 'on', name: 'back sensor' });
  });
});
