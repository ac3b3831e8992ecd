import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach } from 'vitest';
import { EventBus } from '../../../src/core/bus.js';
import { systemClock } from '../../../src/core/clock.js';
import type { Logger } from '../../../src/core/logger.js';
import { EntityRegistry } from '../../../src/devices/registry.js';
import { HomeAssistantAdapter } from '../../../src/devices/homeassistant/adapter.js';
import type { SessionTimings } from '../../../src/devices/homeassistant/session.js';
import { FakeHomeAssistant, type SeedState } from '../../fakes/home-assistant.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

export const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.fake-long-lived-token.c2VjcmV0';

/** Polls until `check` is truthy (generous timeout; no timing assertion). */
export async function waitFor<T>(check: () => T, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Log lines as text, to check that the token never shows up. */
export class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface AdapterRig {
  adapter: HomeAssistantAdapter;
  registry: EntityRegistry;
  bus: EventBus;
  logs: LogLines;
}

/** The adapter on its own, with a real registry and bus (the adapter's own tests). */
export function adapterFor(url: string, token: string, timings: Partial<SessionTimings> = {}): AdapterRig {
  const logs = new LogLines();
  const log: Logger = pino({ level: 'debug' }, logs);
  const bus = new EventBus(log);
  const registry = new EntityRegistry(bus, systemClock);
  const adapter = new HomeAssistantAdapter(
    { registry, log, clock: systemClock },
    { url, token, timings: { backoffBaseMs: 100, backoffCapMs: 400, ...timings } },
  );
  return { adapter, registry, bus, logs };
}

export const HOME: SeedState[] = [
  {
    entity_id: 'light.kitchen',
    state: 'on',
    attributes: { friendly_name: 'Kitchen Light', brightness: 180, supported_color_modes: ['brightness'] },
    device: { name: 'Hue white lamp', manufacturer: 'Signify Netherlands B.V.', model: 'LWA001', name_by_user: 'Kitchen pendant' },
  },
  {
    entity_id: 'lock.front_door',
    state: 'locked',
    attributes: { friendly_name: 'Front Door' },
    device: { name: 'Front Door Lock', manufacturer: 'Yale', model: 'YRD256' },
  },
  {
    entity_id: 'sensor.front_door_battery',
    state: '87',
    attributes: { friendly_name: 'Front Door Battery', unit_of_measurement: '%' },
    device: { name: 'Front Door Lock', manufacturer: 'Yale', model: 'YRD256' },
  },
  {
    entity_id: 'sensor.living_room_temperature',
    state: '21.5',
    attributes: { friendly_name: 'Living Room Temperature', unit_of_measurement: '°C', device_class: 'temperature' },
  },
  { entity_id: 'switch.porch', state: 'unavailable', attributes: { friendly_name: 'Porch', restored: true } },
  { entity_id: 'input_boolean.guest_mode', state: 'off', attributes: { friendly_name: 'Guest Mode' } },
  { entity_id: 'alarm_control_panel.home', state: 'armed_away', attributes: { friendly_name: 'Home Alarm', code_arm_required: true } },
  { entity_id: 'binary_sensor.hall_motion', state: 'off', attributes: {} },
];

/** A self-signed certificate for 127.0.0.1 that nothing trusts (made with openssl in a temp dir). */
export function untrustedCertificate(): { cert: string; key: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ha-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-subj',
      '/CN=homeassistant.local',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { cert: readFileSync(join(dir, 'server.crt'), 'utf8'), key: readFileSync(join(dir, 'server.key'), 'utf8'), dir };
}

/**
 * The bridge tests' set-up: `fakeHa()` starts a fake HA seeded with `HOME`, `rig()` makes an
 * adapter for it, `hubWith()` a whole hub with these `homeassistant` settings; all are stopped after each test, with anything pushed onto `cleanups`
 * (last in, first out). Call once at the top of a test file.
 */
export function adapterTestKit() {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function fakeHa(options: Partial<ConstructorParameters<typeof FakeHomeAssistant>[0]> = {}): Promise<FakeHomeAssistant> {
    const fake = await FakeHomeAssistant.start({ token: TOKEN, states: HOME, ...options });
    cleanups.push(() => fake.stop());
    return fake;
  }
  function rig(url: string, token = TOKEN, timings: Partial<SessionTimings> = {}): AdapterRig {
    const r = adapterFor(url, token, timings);
    cleanups.push(() => r.adapter.stop());
    return r;
  }
  async function hubWith(homeassistant: Record<string, unknown>): Promise<TestHub> {
    const t = await startTestHub({ settings: { homeassistant } });
    cleanups.push(() => t.stop());
    return t;
  }
  return { cleanups, fakeHa, rig, hubWith };
}
