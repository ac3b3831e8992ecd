import { execFile } from 'node:child_process';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, expect } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import type { LanBroker } from '../../src/devices/mqtt/broker.js';
import type { MqttAdapter } from '../../src/devices/mqtt/adapter.js';
import type { EntityRegistry } from '../../src/devices/registry.js';
import type { StateHistory } from '../../src/devices/history.js';
import { api } from '../members/helpers.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A test file's hubs on a free broker port (`base` under each hub's own mqtt settings) and its
 * MQTT clients, all ended after each test; `stop(t)` ends one early, for a restart on its data.
 * Call once at the top of the file.
 */
export function hubKit(base: Record<string, unknown> = {}) {
  let hubs: TestHub[] = [];
  const clients: MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    for (const h of hubs.reverse()) await h.stop();
    hubs = [];
  });
  async function hub(settings: Record<string, unknown> = {}, dataDir?: string): Promise<TestHub> {
    const t = await startTestHub({ settings: { mqtt: { port: 0, ...base, ...settings } }, dataDir });
    hubs.push(t);
    return t;
  }
  async function stop(t: TestHub): Promise<void> {
    await t.stop();
    hubs = hubs.filter((h) => h !== t);
  }
  return { hub, stop, clients };
}

export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function brokerOf(t: TestHub): LanBroker {
  const b = t.hub.services.get<LanBroker>('mqtt.broker');
  if (!b) throw new Error('no broker');
  return b;
}

export function mqttAdapterOf(t: TestHub): MqttAdapter {
  const a = t.hub.services.get<MqttAdapter>('devices.mqtt');
  if (!a) throw new Error('no mqtt adapter');
  return a;
}

export function registryOf(t: TestHub): EntityRegistry {
  return mqttAdapterOf(t).registry;
}

export function historyOf(t: TestHub): StateHistory {
  return t.hub.services.get<StateHistory>('devices.history')!;
}

export function mqttUrl(t: TestHub): string {
  return `mqtt://127.0.0.1:${brokerOf(t).port}`;
}

/** A real mqtt.js client over TCP; no reconnects so that a refusal stays visible. */
export function connect(t: TestHub, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const c = mqtt.connect(mqttUrl(t), { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...options });
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      c.end(true);
      reject(err);
    };
    c.once('connect', () => {
      settled = true;
      resolve(c);
    });
    c.once('error', fail);
    c.once('close', () => fail(new Error('connection closed before CONNACK')));
  });
}

/** Resolves with the error (or 'closed') when a client's connection ends. */
export function closed(client: MqttClient): Promise<string> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve('closed');
    client.once('close', () => resolve('closed'));
  });
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs mosquitto_pub / mosquitto_sub. */
export function mosquitto(bin: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? ((err as unknown as { code?: number | string }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** Log lines whose message contains `text`. */
export function logsWith(t: TestHub, text: string): Record<string, unknown>[] {
  return t.logs.lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(text));
}

/** Creates a device login through the API as the owner; returns its password. */
export async function createDeviceLogin(t: TestHub, cookie: string, username: string): Promise<string> {
  const res = await api(t, 'POST', '/devices/credentials', { cookie, body: { username, description: 'test device' } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { password: string }).password;
}
