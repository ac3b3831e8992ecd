import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { fsync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, OWNER, setupOwner } from '../members/helpers.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { Relay } from '../../src/relay/index.js';
import { commitsFor } from '../../src/store/commits.js';
import { hashToken } from '../../src/relay/accounts.js';
import { signBody } from '../../src/link/messages.js';
import type { UpMessage } from '../../src/link/messages.js';
import { connectClient, ed25519, linkOf, linkSettings, relaySettings, tmp } from './helpers.js';

const ENGINEER_TOKEN = 'engineer-token-0123456789';
const SERVICE_TOKEN = 'service-token-0123456789';

describe('relay, down commands, RPC and the support tunnel through a real mosquitto', () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  const users = { relay: 'relay-pw', 'hub-r': 'r-pw-secret' };
  const keys = ed25519();
  let relay1: Relay;
  let relay2: Relay;
  let t: TestHub;
  let clock: ManualClock;
  let owner: string;
  let raw: MqttClient;
  const handled: Record<string, UpMessage[]> = { r1: [], r2: [] };

  const settingsOf = (instance: string, rpcTimeoutMs: number) =>
    relaySettings(broker, pki, users.relay, {
      instance_id: instance,
      shared_group: 'g1',
      signing_key: keys.privatePem,
      state_file: join(dir, 'relay-state.db'),
      rpc_timeout_ms: rpcTimeoutMs,
      accounts: [
        { id: 'eve', name: 'Eve Engineer', role: 'engineer', token_sha256: hashToken(ENGINEER_TOKEN) },
        { id: 'svc', name: 'Telephony', role: 'service', token_sha256: hashToken(SERVICE_TOKEN) },
      ],
    });

  /** The relay's HTTPS API, checked against the test CA. */
  const relayApi = (relay: Relay, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${relay.url}${path}`,
        {
          method,
          ca: readFileSync(pki.caCert),
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
        },
      );
      req.on('error', reject);
      req.end(body !== undefined ? JSON.stringify(body) : undefined);
    });

  const audit = (kind: string) => t.hub.ctx.audit.list({ kind, limit: 500 }).entries;

  beforeAll(async () => {
    dir = tmp('hearth-relay-');
    pki = makePki(join(dir, 'pki'));
    broker = await Mosquitto.start({ dir: join(dir, 'broker'), pki, users });
    // Relays first, so their persistent shared-subscription sessions see the hub's first entry.
    relay1 = await Relay.create(settingsOf('r1', 120_000), silentLogger());
    relay2 = await Relay.create(settingsOf('r2', 1500), silentLogger());
    relay1.broker.onUp((m) => handled.r1!.push(m));
    relay2.broker.onUp((m) => handled.r2!.push(m));
    await relay1.start();
    await relay2.start();
    await waitFor(() => relay1.broker.online && relay2.broker.online, 'relays online');
    clock = new ManualClock(Date.now());
    t = await startTestHub({
      clock,
      settings: { link: linkSettings(broker, pki, 'hub-r', users['hub-r'], { relay_public_key: keys.publicPem, rpc_timeout_ms: 500 }) },
    });
    owner = await setupOwner(t);
    raw = await connectClient(broker, pki, 'relay', users.relay);
    await waitFor(() => relay1.broker.hub('hub-r')?.online, 'the relay sees the hub online');
  });

  afterAll(async () => {
    raw?.end(true);
    await t?.stop();
    await relay1?.stop();
    await relay2?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the hub as online over HTTPS, for service accounts only', async () => {
    expect((await relayApi(relay1, 'GET', '/relay/v1/hubs')).status).toBe(401);
    // An engineer does not get the list of homes: only those that granted a session (support/hubs).
    const engineer = await relayApi(relay1, 'GET', '/relay/v1/hubs', ENGINEER_TOKEN);
    expect(engineer.status).toBe(403);
    expect(engineer.body.error.code).toBe('ROLE_REQUIRED');
    const res = await relayApi(relay1, 'GET', '/relay/v1/hubs', SERVICE_TOKEN);
    expect(res.status).toBe(200);
    expect(res.body.hubs).toEqual(expect.arrayContaining([expect.objectContaining({ hub_id: 'hub-r', online: true })]));
    expect((await relayApi(relay1, 'GET', '/relay/v1/health')).status).toBe(200);
  });

  it('shares up/events between two relays: each message handled once in total, the chain checked', async () => {
    for (let i = 0; i < 200; i++) t.hub.ctx.audit.append({ actor: 'test', origin: 'system', kind: 'test.shared', data: { i } });
    const head = t.hub.ctx.audit.count();
    const seqsOf = (list: UpMessage[]) => list.filter((m) => m.class === 'audit').map((m) => m.data.seq as number);
    await waitFor(() => new Set([...seqsOf(handled.r1!), ...seqsOf(handled.r2!)]).size >= head, `all ${head} entries at the relays`, 30_000);
    const all = [...handled.r1!, ...handled.r2!].map((m) => m.id);
    expect(new Set(all).size).toBe(all.length); // nobody handled a message twice
    expect(handled.r1!.length).toBeGreaterThan(0);
    expect(handled.r2!.length).toBeGreaterThan(0);
    const chain = await relay1.broker.chains.headOf('hub-r');
    expect(chain.broken).toBeNull();
    expect(chain.seq).toBeGreaterThanOrEqual(head);
  });

  it('an audit entry leaves for the relay only once its group commit is on disk (the fsync runs off the event loop)', async () => {
    const commits = commitsFor(t.hub.ctx.store.db);
    const held: (() => void)[] = [];
    commits.useFileSync((fd, done) => held.push(() => fsync(fd, done)));
    try {
      const kinds = () => [...handled.r1!, ...handled.r2!].filter((m) => m.class === 'audit').map((m) => m.data.kind);
      const entry = t.hub.ctx.audit.appendDurably({ actor: 'test', origin: 'system', kind: 'test.held_fsync' });
      await waitFor(() => held.length === 1, 'the group commit waits for its fsync');
      // Visible in the hub's database, but a power cut now could still take it: it must not be at the relay.
      expect(t.hub.ctx.audit.list({ kind: 'test.held_fsync' }).entries).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(kinds()).not.toContain('test.held_fsync');
      held.shift()!();
      await entry;
      await waitFor(() => kinds().includes('test.held_fsync'), 'the entry reaches the relay once it is on disk', 10_000);
    } finally {
      for (const release of held) release();
      commits.useFileSync(fsync);
    }
  });

  it('drops and audits unsigned, wrongly signed, replayed, expired, malformed and misaddressed commands; a valid one reaches the gate', async () => {
    const topic = 'hearth/v1/hub-r/down/cmd';
    const now = () => clock.now();
    const cmd = (over: Record<string, unknown> = {}) => ({
      id: `cmd_test_${Math.random().toString(36).slice(2)}`,
      hub_id: 'hub-r',
      issued_at: now(),
      expires_at: now() + 60_000,
      action: { entity_id: 'lock.front_door', operation: 'unlock', params: {} },
      actor: 'test',
      ...over,
    });
    const signed = (body: Record<string, unknown>, key = keys.privateKey) => JSON.stringify({ body, sig: signBody(key, body) });
    const valid = cmd();
    await raw.publishAsync(topic, 'not json', { qos: 1 });
    await raw.publishAsync(topic, JSON.stringify({ body: cmd() }), { qos: 1 });
    await raw.publishAsync(topic, signed(cmd(), ed25519().privateKey), { qos: 1 });
    await raw.publishAsync(topic, signed(cmd({ hub_id: 'hub-x' })), { qos: 1 });
    await raw.publishAsync(topic, signed(cmd({ expires_at: now() - 1000 })), { qos: 1 });
    await raw.publishAsync(topic, signed({ ...cmd(), action: { entity_id: 7 } }), { qos: 1 });
    await raw.publishAsync(topic, signed(valid), { qos: 1 });
    await raw.publishAsync(topic, signed(valid), { qos: 1 });
    const reasons = () => audit('link.command.rejected').map((e) => e.data.reason as string);
    const expected = ['malformed', 'unsigned', 'bad_signature', 'other_hub', 'expired', 'malformed', 'replayed'];
    await waitFor(() => reasons().length >= expected.length, 'every rejection audited');
    expect(reasons().sort()).toEqual([...expected].sort());
    const accepted = audit('link.command.accepted');
    expect(accepted.map((e) => e.subject)).toEqual([valid.id]);
    // The gate saw it with the relay as origin (it refuses: there is no such lock here).
    await waitFor(() => t.hub.ctx.audit.list({ limit: 50 }).entries.some((e) => e.origin === 'relay' && e.kind.startsWith('action.')), "the gate's entry");

    // Through the relay's API, signed by the relay.
    expect((await relayApi(relay1, 'POST', '/relay/v1/hubs/hub-r/commands', ENGINEER_TOKEN, { action: valid.action })).status).toBe(403);
    const sent = await relayApi(relay1, 'POST', '/relay/v1/hubs/hub-r/commands', SERVICE_TOKEN, { action: valid.action, reason: 'caller pressed 1' });
    expect(sent.status).toBe(202);
    await waitFor(() => audit('link.command.accepted').some((e) => e.subject === sent.body.command_id), "the relay's command accepted");
  });

  it('times out an RPC that never answers, on the hub and at the relay', async () => {
    linkOf(t).rpc!.register('test.hang', () => new Promise(() => {}));
    const res = await relay1.broker.call('hub-r', 'test.hang');
    expect(res).toEqual({ ok: false, error: { code: 'TIMEOUT', message: expect.stringMatching(/hub did not finish test\.hang/) } });
    const ghost = await relayApi(relay2, 'POST', '/relay/v1/hubs/hub-ghost/ping', SERVICE_TOKEN);
    expect(ghost.status).toBe(504);
    expect(ghost.body.error.code).toBe('TIMEOUT');
    // An engineer reaches a hub only under a grant it announced; there is none here yet.
    const ungranted = await relayApi(relay1, 'POST', '/relay/v1/hubs/hub-r/ping', ENGINEER_TOKEN);
    expect(ungranted.status).toBe(403);
    expect(ungranted.body.error.code).toBe('NO_GRANT');
    const ping = await relayApi(relay1, 'POST', '/relay/v1/hubs/hub-r/ping', SERVICE_TOKEN);
    expect(ping.status).toBe(200);
    expect(ping.body.result.pong).toBe(true);
  });

  it('runs a support session from grant to diagnostics to expiry and revocation, all audited on the hub', async () => {
    const diag = (grantId?: string) =>
      relayApi(relay1, 'POST', '/relay/v1/support/hubs/hub-r/diagnostics', ENGINEER_TOKEN, grantId ? { grant_id: grantId } : {});
    expect((await diag()).body.error.code).toBe('NO_GRANT'); // nothing announced
    const bogus = await diag('sup_bogus');
    expect(bogus.status).toBe(403);
    expect(bogus.body.error.code).toBe('SUPPORT_REFUSED');
    expect(audit('support.refused').map((e) => e.data.reason)).toContain('no such grant');

    expect((await api(t, 'POST', '/support/sessions', { body: { scope: 'diagnostics', duration_minutes: 1 } })).status).toBe(401);
    const granted = await api(t, 'POST', '/support/sessions', { cookie: owner, body: { scope: 'diagnostics', duration_minutes: 1 } });
    expect(granted.status).toBe(201);
    const grantId = granted.body.id as string;
    await waitFor(() => relay1.broker.hub('hub-r')?.support.some((g) => g.id === grantId), 'the grant announced to the relay');
    const listed = await relayApi(relay1, 'GET', '/relay/v1/support/hubs', ENGINEER_TOKEN);
    expect(listed.body.hubs[0].grants[0].id).toBe(grantId);

    const ok = await diag();
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const result = ok.body.result;
    expect(result.health.link.status).toBe('ok');
    expect(Array.isArray(result.logs.entries)).toBe(true);
    expect(result.logs.truncated).toBe(false);
    expect(result.settings.link.password).toBe('[secret]');
    expect(Array.isArray(result.doctor)).toBe(true);
    expect(JSON.stringify(result)).not.toContain(users['hub-r']);
    expect(audit('support.diagnostics').map((e) => e.actor)).toEqual(['support:eve']);

    // Wrong scope: a diagnostics grant does not open maintenance.
    const maint = await relayApi(relay1, 'POST', '/relay/v1/support/hubs/hub-r/maintenance', ENGINEER_TOKEN, {
      grant_id: grantId,
      operation: 'restart_service',
      target: 'link',
    });
    expect(maint.status).toBe(403);
    expect(audit('support.refused').some((e) => /scope diagnostics does not allow maintenance/.test(String(e.data.reason)))).toBe(true);

    // A maintenance grant: the step becomes a gate request with origin support.
    const mg = await api(t, 'POST', '/support/sessions', { cookie: owner, body: { scope: 'maintenance', duration_minutes: 30 } });
    const m2 = await relayApi(relay1, 'POST', '/relay/v1/support/hubs/hub-r/maintenance', ENGINEER_TOKEN, {
      grant_id: mg.body.id,
      operation: 'restart_service',
      target: 'link',
    });
    expect(m2.status, JSON.stringify(m2.body)).toBe(200);
    // Never on the engineer's word alone: the owner is asked.
    expect(m2.body.result.outcome.status).toBe('pending');
    expect(audit('support.maintenance.requested')).toHaveLength(1);
    expect(t.hub.ctx.audit.list({ limit: 20 }).entries.some((e) => e.origin === 'support' && e.kind === 'approval.requested')).toBe(true);
    // Approved, the link restarts for real: one more restart, dialled again, the relay reaches the hub.
    const restartsBefore = t.hub.services.info('link')!.restarts;
    const decided = await api(t, 'POST', `/approvals/${m2.body.result.outcome.approval_id}/decision`, {
      cookie: owner,
      body: { decision: 'approve', pin: OWNER.pin },
    });
    expect(decided.body.state, JSON.stringify(decided.body)).toBe('executed');
    expect(decided.body.outcome.message).toMatch(/link restarted \(restart \d+ since the hub started\)/);
    expect(t.hub.services.info('link')!.restarts).toBe(restartsBefore + 1);
    await waitFor(
      async () => (await relayApi(relay1, 'POST', '/relay/v1/hubs/hub-r/ping', SERVICE_TOKEN)).status === 200,
      'the relay reaches the restarted link',
    );
    // A step nobody can take fails rather than claiming it was done.
    const unknown = await relayApi(relay1, 'POST', '/relay/v1/support/hubs/hub-r/maintenance', ENGINEER_TOKEN, {
      grant_id: mg.body.id,
      operation: 'resync_connector',
      target: 'zwave',
    });
    const failed = await api(t, 'POST', `/approvals/${unknown.body.result.outcome.approval_id}/decision`, {
      cookie: owner,
      body: { decision: 'approve', pin: OWNER.pin },
    });
    expect(failed.body.state).toBe('failed');
    expect(failed.body.outcome.code).toBe('MAINTENANCE_UNKNOWN_TARGET');

    // Expiry by the hub's clock: the relay still believes in the grant, the hub does not.
    clock.advance(61_000);
    const late = await diag(grantId);
    expect(late.status).toBe(403);
    expect(audit('support.refused').some((e) => e.data.reason === 'the grant has expired')).toBe(true);

    // Revocation ends access at once, and the relay is told.
    const del = await api(t, 'DELETE', `/support/sessions/${mg.body.id}`, { cookie: owner });
    expect(del.body.state).toBe('revoked');
    await waitFor(() => !relay1.broker.hub('hub-r')?.support.some((g) => g.id === mg.body.id), 'revocation announced');
    const revoked = await diag(mg.body.id);
    expect(revoked.status).toBe(403);
    expect(audit('support.refused').some((e) => e.data.reason === 'the grant was revoked')).toBe(true);
    expect(audit('support.grant.revoked')).toHaveLength(1);
  });
});
