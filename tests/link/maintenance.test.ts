import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionGate } from '../../src/gate/gate.js';
import { SUPPORT_ENTITY } from '../../src/link/support-rpc.js';
import { FakeHomeAssistant } from '../fakes/home-assistant.js';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { api, OWNER, setupOwner } from '../members/helpers.js';
import { TOKEN, waitFor } from '../devices/homeassistant/helpers.js';

/**
 * Each support maintenance step, asked as a support engineer asks it (a gate request with origin
 * support), approved by the owner, and checked for the change it claims.
 */
describe('support maintenance that acts', () => {
  let t: TestHub | undefined;
  let ha: FakeHomeAssistant | undefined;
  afterEach(async () => {
    await t?.stop();
    await ha?.stop();
    t = undefined;
    ha = undefined;
  });

  /** Asks as an engineer, approves as the owner; returns the envelope as it ended. */
  async function maintain(hub: TestHub, owner: string, operation: string, target: string) {
    const gate = hub.hub.services.get<ActionGate>('gate')!;
    const asked = await gate.request({
      action: { entity_id: SUPPORT_ENTITY, operation, params: { target, engineer: 'eve', grant_id: 'sup_test' } },
      origin: { member_id: null, channel: 'support', actor: 'eve' },
      reason: `support engineer eve asks to ${operation}`,
    });
    expect(asked.status).toBe('pending'); // never on the engineer's word alone
    const approvalId = (asked as { approval_id: string }).approval_id;
    const decided = await api(hub, 'POST', `/approvals/${approvalId}/decision`, { cookie: owner, body: { decision: 'approve', pin: OWNER.pin } });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    return decided.body as { state: string; outcome?: { message?: string; code?: string } | null };
  }

  it('restarts a part: its restart count and start time change, and the outcome says so', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const before = t.hub.services.info('self-watch')!;
    expect(before.restarts).toBe(0);
    const env = await maintain(t, owner, 'restart_service', 'self-watch');
    expect(env.state).toBe('executed');
    const after = t.hub.services.info('self-watch')!;
    expect(after.restarts).toBe(1);
    expect(after.state).toBe('running');
    expect(after.started_at!).toBeGreaterThanOrEqual(before.started_at!);
    expect(env.outcome?.message).toMatch(/self-watch restarted \(restart 1 since the hub started\).*started again at/);
    // What cannot be restarted under a running hub, or does not exist, fails: nothing "executed" without an effect.
    expect((await maintain(t, owner, 'restart_service', 'store')).state).toBe('failed');
    const none = await maintain(t, owner, 'restart_service', 'nonexistent');
    expect(none.state).toBe('failed');
    expect(none.outcome?.code).toBe('MAINTENANCE_UNKNOWN_TARGET');
  });

  it('re-syncs Home Assistant: a new connection subscribes again on the fake HA', async () => {
    ha = await FakeHomeAssistant.start({ token: TOKEN, states: [{ entity_id: 'light.porch', state: 'off' }] });
    t = await startTestHub({ settings: { homeassistant: { url: ha.url, token: TOKEN } } });
    const owner = await setupOwner(t);
    await waitFor(() => t!.hub.services.health().homeassistant?.status === 'ok', 'HA connected');
    const connections = ha.connections;
    const subscribes = ha.commands.filter((c) => c.type === 'subscribe_events').length;
    const env = await maintain(t, owner, 'resync_connector', 'homeassistant');
    expect(env.state, JSON.stringify(env.outcome)).toBe('executed');
    expect(ha.connections).toBe(connections + 1);
    expect(ha.commands.filter((c) => c.type === 'subscribe_events').length).toBeGreaterThan(subscribes);
    expect(env.outcome?.message).toMatch(/connected again, subscribed and loaded: connected to Home Assistant/);
  });

  it('does not claim a re-sync of Home Assistant when none is set up', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const env = await maintain(t, owner, 'resync_connector', 'homeassistant');
    expect(env.state).toBe('failed');
    expect(env.outcome?.code).toBe('MAINTENANCE_NO_EFFECT');
  });

  it('reloads the settings from the file it was started with', async () => {
    const dir = tempDir();
    const file = join(dir, 'hearth.yaml');
    writeFileSync(file, 'notify:\n  door_open_minutes: 10\n');
    t = await startTestHub({ file });
    const owner = await setupOwner(t);
    expect(t.hub.ctx.settings.get().notify.door_open_minutes).toBe(10);
    writeFileSync(file, 'notify:\n  door_open_minutes: 25\n');
    const env = await maintain(t, owner, 'reload_settings', 'settings');
    expect(env.state).toBe('executed');
    expect(t.hub.ctx.settings.get().notify.door_open_minutes).toBe(25);
    expect(env.outcome?.message).toMatch(/1 changed \(notify\.door_open_minutes\)/);
    // A broken file changes nothing and fails.
    writeFileSync(file, 'notify:\n  door_open_minutes: -3\n');
    expect((await maintain(t, owner, 'reload_settings', 'settings')).state).toBe('failed');
    expect(t.hub.ctx.settings.get().notify.door_open_minutes).toBe(25);
  });

  it('runs a backup: the encrypted file is on the disk', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    // Without a passphrase there is nothing to encrypt with: it fails, and says why.
    const early = await maintain(t, owner, 'run_backup', 'backups');
    expect(early.state).toBe('failed');
    expect(early.outcome?.code).toBe('BACKUP_NO_PASSPHRASE');
    expect((await api(t, 'PUT', '/backups/passphrase', { cookie: owner, body: { passphrase: 'a long backup passphrase' } })).status).toBeLessThan(300);
    const env = await maintain(t, owner, 'run_backup', 'backups');
    expect(env.state).toBe('executed');
    const name = /backup (hearth-\d{8}-\d{6}(?:-\d+)?\.hbk)/.exec(env.outcome!.message!)![1]!;
    expect(existsSync(join(t.dataDir, 'backups', name))).toBe(true);
  });

  it('collects a diagnostics bundle: a file with health, checks and the log book, no secret in it', async () => {
    t = await startTestHub({ settings: { telegram: { token: '123456789:AAHk3v0aXyZ-abcdefghijklmnopqrstu' } } });
    const owner = await setupOwner(t);
    t.hub.ctx.log.child({ part: 'test' }).warn('something odd happened');
    const env = await maintain(t, owner, 'collect_diagnostics', 'hub');
    expect(env.state).toBe('executed');
    const file = /wrote (\S+\.json)/.exec(env.outcome!.message!)![1]!;
    const text = readFileSync(file, 'utf8');
    const bundle = JSON.parse(text) as { health: Record<string, unknown>; doctor: unknown[]; logs: { entries: { msg: string }[] } };
    expect(Object.keys(bundle.health)).toContain('gate');
    expect(bundle.doctor.length).toBeGreaterThan(0);
    expect(bundle.logs.entries.map((e) => e.msg)).toContain('something odd happened');
    expect(text).not.toContain('AAHk3v0aXyZ');
  });
});
