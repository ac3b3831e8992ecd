import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from 'mqtt';
import type { Envelope } from '../../src/gate/model.js';
import { runCli, spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';
import { api, makeFamily } from './support.js';

/**
 * A crash between `executing` and the confirmation. The hub is a real process; the device is
 * a real MQTT client on the hub's LAN broker that takes the command and never reports back,
 * so the envelope is reliably caught in `executing` (the confirmation timeout is long).
 * SIGKILL, restart: the envelope is `unconfirmed`, and the device never gets a second command.
 * Needs the build (npx tsc -p tsconfig.build.json).
 */
let hubs: HubProcess[] = [];
let device: MqttClient | undefined;
let dir: string | undefined;
afterEach(async () => {
  device?.end(true);
  device = undefined;
  for (const h of hubs) {
    if (h.child.exitCode === null && h.child.signalCode === null) {
      h.child.kill('SIGTERM');
      await h.exited;
    }
  }
  hubs = [];
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('a crash while an approved action is executing', () => {
  it('ends unconfirmed after a restart and is never run twice', async () => {
    dir = tempDir('hearth-gate-crash-');
    const mqttPort = await freePort();
    const env = { HEARTH_MQTT_PORT: String(mqttPort), HEARTH_MQTT_ALLOW_ANONYMOUS: 'true', HEARTH_POLICY_CONFIRM_TIMEOUT_S: '300' };
    const first = await spawnHub(['--data', dir], { env });
    hubs.push(first);
    const people = await makeFamily(first.url, dir, [
      { username: 'adam', role: 'adult' },
      { username: 'owen', role: 'owner' },
    ]);

    // A lock that obeys silently: it records each command and never reports a new state.
    const commands: string[] = [];
    device = connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'vault-lock', reconnectPeriod: 200 });
    device.on('message', (topic, payload) => {
      if (topic === 'test/vault/set') commands.push(payload.toString());
    });
    await new Promise<void>((resolve, reject) => {
      device!.once('connect', () => resolve());
      device!.once('error', reject);
    });
    await device.subscribeAsync('test/vault/set');
    await device.publishAsync('test/vault/state', 'LOCKED', { retain: true });
    await device.publishAsync(
      'homeassistant/lock/vault/config',
      JSON.stringify({ name: 'Vault', uniq_id: 'test_vault', default_entity_id: 'lock.vault', cmd_t: 'test/vault/set', stat_t: 'test/vault/state' }),
      { retain: true },
    );
    await waitFor(async () => (await api(first.url, people.olivia!, 'GET', '/entities/lock.vault')).body?.state === 'locked');

    const asked = await api(first.url, people.adam!, 'POST', '/actions', { entity_id: 'lock.vault', operation: 'unlock' });
    expect(asked.status).toBe(202);
    const id = asked.body.approval_id as string;
    // The approval's answer waits for the confirmation, which will not come before the crash.
    const decision = api(first.url, people.owen!, 'POST', `/approvals/${id}/decision`, { decision: 'approve', pin: '1357' }).catch((err: unknown) => err);
    await waitFor(() => commands.length > 0);
    const during = await runCli(['approvals', 'show', id, '--json', '--data', dir]);
    expect(during.code).toBe(0);
    expect((JSON.parse(during.stdout) as Envelope).state).toBe('executing');

    first.child.kill('SIGKILL');
    await first.exited;
    expect(await decision).toBeInstanceOf(Error); // the approver was never told "done"

    const second = await spawnHub(['--data', dir], { env });
    hubs.push(second);
    const after = await api<Envelope>(second.url, people.olivia!, 'GET', `/approvals/${id}`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ state: 'unconfirmed', outcome: { code: 'INTERRUPTED' } });
    // The device is back on the broker; give a wrongful re-run every chance to show.
    await waitFor(() => device!.connected);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(commands).toEqual(['UNLOCK']);

    const trail = await api<{ entries: { kind: string; data: Record<string, unknown> }[] }>(second.url, people.olivia!, 'GET', `/audit?subject=${id}`);
    const kinds = trail.body.entries.map((e) => e.kind).reverse();
    expect(kinds).toEqual(['approval.requested', 'approval.decided', 'approval.executing', 'action.executed', 'approval.unconfirmed']);
    expect(trail.body.entries[0]!.data).toMatchObject({ code: 'INTERRUPTED', recovered: true });
    // A second approval cannot run it again.
    const again = await api(second.url, people.olivia!, 'POST', `/approvals/${id}/decision`, { decision: 'approve', pin: '2468' });
    expect([again.status, again.body.error.code]).toEqual([409, 'APPROVAL_FINISHED']);

    const listed = await runCli(['approvals', 'list', '--data', dir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toMatch(/unconfirmed\s+high\s+unlock lock\.vault/);
  }, 120_000); // two hub processes, members with hashed passwords, and a CLI run on two shared cores
});
