import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hub } from '../../src/hub/hub.js';
import type { MembersService } from '../../src/members/service.js';
import type { DeviceAdapter, Entity } from '../../src/devices/model.js';
import { EntityRegistry } from '../../src/devices/registry.js';
import { ActionGate } from '../../src/gate/gate.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { expectedState } from '../../src/devices/operations.js';

export interface Person {
  id: string;
  username: string;
  role: string;
  cookie: string;
}

export const PASSWORD = 'correct horse battery staple';

export interface Reply<T = any> {
  status: number;
  body: T;
}

/** One JSON request to the hub's API as a signed-in person (or nobody). */
export async function api<T = any>(url: string, who: Person | string | null, method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (who) headers.cookie = typeof who === 'string' ? who : who.cookie;
  const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as T) : (undefined as T) };
}

function sessionCookie(res: Response): string {
  const raw = res.headers.getSetCookie().find((c) => c.startsWith('hearth_session='));
  if (!raw) throw new Error(`no session cookie (status ${res.status})`);
  return raw.split(';')[0]!;
}

/**
 * A family through the real API: the first owner by the setup code (PIN 2468), then each
 * other member created by that owner and signed in with a password. PINs are 1357 unless given.
 */
export async function makeFamily(url: string, dataDir: string, others: { username: string; role: string; pin?: string }[]): Promise<Record<string, Person>> {
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const res = await fetch(`${url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ setup_code: code, username: 'olivia', password: PASSWORD, display_name: 'Olivia', pin: '2468' }),
  });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
  const owner: Person = { id: ((await res.json()) as { member: { id: string } }).member.id, username: 'olivia', role: 'owner', cookie: sessionCookie(res) };
  const out: Record<string, Person> = { olivia: owner };
  for (const o of others) {
    const created = await api(url, owner, 'POST', '/members', {
      username: o.username,
      display_name: o.username,
      role: o.role,
      password: PASSWORD,
      pin: o.pin ?? '1357',
    });
    if (created.status !== 201 && created.status !== 200) throw new Error(`member ${o.username}: ${created.status} ${JSON.stringify(created.body)}`);
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: o.username, password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login ${o.username}: ${login.status} ${await login.text()}`);
    out[o.username] = { id: (created.body as { id: string }).id, username: o.username, role: o.role, cookie: sessionCookie(login) };
  }
  return out;
}

export function membersOf(hub: Hub): MembersService {
  const svc = hub.services.get<{ name: string; members: MembersService; start(): void; stop(): void }>('members');
  if (!svc) throw new Error('no members service');
  return svc.members;
}

/**
 * A device adapter at the edge of the test: it records each command and, unless told not
 * to, reports the expected state a moment later, as a real device would.
 */
export class TestAdapter implements DeviceAdapter {
  readonly name = 'test-adapter';
  readonly source = 'test';
  readonly commands: { entity_id: string; operation: string; params: Record<string, unknown> }[] = [];
  mode: 'obey' | 'silent' | 'fail' = 'obey';
  private timers = new Set<NodeJS.Timeout>();

  constructor(private readonly registry: EntityRegistry) {}

  start(): void {}
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  async execute(entity: Entity, operation: string, params: Record<string, unknown>): Promise<void> {
    this.commands.push({ entity_id: entity.id, operation, params });
    if (this.mode === 'fail') throw new Error('the device did not answer the radio');
    if (this.mode === 'silent') return;
    const expected = expectedState(entity, operation, params);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (expected) this.registry.setState(entity.id, expected);
    }, 5);
    this.timers.add(t);
  }
}

export function addTestEntities(registry: EntityRegistry): void {
  const e = (id: string, name: string, domain: Entity['domain'], state: string, attributes: Record<string, unknown> = {}) =>
    registry.upsert({ id, name, domain, state, source: 'test', attributes });
  e('light.kitchen', 'Kitchen light', 'light', 'off');
  e('lock.front_door', 'Front door', 'lock', 'locked');
  e('cover.garage_door', 'Garage door', 'cover', 'closed', { device_class: 'garage' });
  e('alarm_control_panel.home_alarm', 'Home alarm', 'alarm_control_panel', 'armed_away');
  e('sensor.temperature', 'Temperature', 'sensor', '21');
}

export interface GateHub<A extends DeviceAdapter> {
  t: TestHub;
  people: Record<string, Person>;
  registry: EntityRegistry;
  adapter: A;
  gate: ActionGate;
}

/**
 * The gate on a real hub (store, audit, members, settings): a family signed up, a registry of
 * the test entities, and `adapter` (a TestAdapter unless given) at the edge; the gate started.
 */
export async function startGateHub<A extends DeviceAdapter = TestAdapter>(options: {
  others: { username: string; role: string }[];
  hub?: Parameters<typeof startTestHub>[0];
  adapter?: (registry: EntityRegistry, t: TestHub) => A;
}): Promise<GateHub<A>> {
  const t = await startTestHub(options.hub);
  const people = await makeFamily(t.url, t.dataDir, options.others);
  const registry = new EntityRegistry(t.hub.ctx.bus, t.hub.ctx.clock);
  addTestEntities(registry);
  const adapter = options.adapter ? options.adapter(registry, t) : (new TestAdapter(registry) as unknown as A);
  const gate = new ActionGate(t.hub.ctx, { members: membersOf(t.hub), registry, adapters: new Map([['test', adapter]]) });
  gate.start();
  return { t, people, registry, adapter, gate };
}
