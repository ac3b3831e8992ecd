import { ManualClock } from '../../src/core/clock.js';
import type { WorkflowsService } from '../../src/workflows/service.js';
import type { EntityRegistry } from '../../src/devices/registry.js';
import type { LanBroker } from '../../src/devices/mqtt/broker.js';
import { rmSync } from 'node:fs';
import { startTestHub, type HubProcess, type TestHub } from '../helpers/hub.js';
import { api, makeFamily, PASSWORD, type Person } from '../gate/support.js';
import { waitFor } from '../helpers/mosquitto.js';

export { api, waitFor };

export interface WfHub {
  t: TestHub;
  clock: ManualClock;
  wf: WorkflowsService;
  registry: EntityRegistry;
  broker: LanBroker;
  owner: Person;
  people: Record<string, Person>;
}

/** A real hub with the demo home on its embedded broker and a clock the test moves. */
export async function startWfHub(
  options: {
    settings?: Record<string, unknown>;
    at?: number;
    clock?: ManualClock;
    dataDir?: string;
    again?: boolean;
    others?: { username: string; role: string }[];
  } = {},
): Promise<WfHub> {
  const clock = options.clock ?? new ManualClock(options.at ?? Date.UTC(2026, 0, 5, 20, 0));
  const t = await startTestHub({
    clock,
    dataDir: options.dataDir,
    settings: { ...(options.settings ?? {}), hub: { demo: true, ...((options.settings?.hub as object) ?? {}) } },
  });
  const people = options.again ? { olivia: await login(t.url, 'olivia') } : await makeFamily(t.url, t.dataDir, options.others ?? []);
  const wf = t.hub.services.get<WorkflowsService>('workflows')!;
  const registry = (wf as unknown as { deps: { entities: EntityRegistry } }).deps.entities;
  const broker = (wf as unknown as { deps: { broker: LanBroker } }).deps.broker;
  await waitFor(() => registry.get('light.demo_porch') && registry.get('binary_sensor.demo_back_door'), 'the demo home');
  return { t, clock, wf, registry, broker, owner: people.olivia!, people };
}

/** Moves the clock and lets the engine process what came due. */
export async function advance(h: WfHub, ms: number): Promise<void> {
  h.clock.advance(ms);
  await h.wf.tick();
  await h.wf.engine.idle();
}

/** Opens or closes the demo back door as its Zigbee sensor would report it. */
export async function backDoor(h: WfHub, open: boolean): Promise<void> {
  await h.broker.publish('hearth/demo/back_door/state', JSON.stringify({ contact: !open }), { retain: true });
  await waitFor(() => h.registry.get('binary_sensor.demo_back_door')?.state === (open ? 'on' : 'off'), 'the back door state');
}

export async function createWorkflow(h: WfHub, source: string): Promise<string> {
  const r = await api(h.t.url, h.owner, 'POST', '/workflows', { source });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as { id: string }).id;
}

/** Signs in again on a hub restarted on the same data directory. */
export async function login(url: string, username: string): Promise<Person> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('hearth_session='))!
    .split(';')[0]!;
  const body = (await res.json()) as { member?: { id: string; role: string }; id?: string; role?: string };
  return { id: body.member?.id ?? body.id ?? '', username, role: body.member?.role ?? 'owner', cookie };
}

export async function runsOf(
  h: WfHub,
  id: string,
): Promise<
  { id: string; state: string; trigger: Record<string, unknown>; steps: { kind: string; state: string; output?: any; error?: string; ref?: string }[] }[]
> {
  const r = await api(h.t.url, h.owner, 'GET', `/workflows/${id}/runs?limit=200`);
  return (r.body as { runs: never[] }).runs;
}

/** After each test that ran `hearth start`: stop it (SIGTERM) if it still runs, and remove its directories. */
export async function stopProcess(hub: HubProcess | undefined, dirs: string[]): Promise<void> {
  if (hub && hub.child.exitCode === null) {
    hub.child.kill('SIGTERM');
    await hub.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
