import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import type { Relay } from '../../src/relay/index.js';
import { hashToken } from '../../src/relay/accounts.js';
import type { HubReporter } from '../../src/link/reports.js';
import { linkOf, linkSettings, relaySettings, startRelay, tmp } from '../link/helpers.js';

const ENGINEER = 'engineer-token-reports-0123';
const SERVICE = 'service-token-reports-0123';

describe("a hub's health alerts and snapshots, up the link through a real mosquitto to the relay's store", () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  let relay: Relay;
  let t: TestHub;
  let owner: string;
  const users = { relay: 'relay-pw-rep', 'hub-h': 'hub-h-pw-rep' };

  const relayApi = (path: string, token?: string): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const req = request(`${relay.url}${path}`, { ca: readFileSync(pki.caCert), headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      });
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    dir = tmp('hearth-reports-');
    pki = makePki(join(dir, 'pki'));
    broker = await Mosquitto.start({ dir: join(dir, 'broker'), pki, users });
    relay = await startRelay(
      relaySettings(broker, pki, users.relay, {
        instance_id: 'rep',
        state_file: join(dir, 'relay.db'),
        reports_keep: 10,
        accounts: [
          { id: 'eve', name: 'Eve Engineer', role: 'engineer', token_sha256: hashToken(ENGINEER) },
          { id: 'svc', name: 'Offline notices', role: 'service', token_sha256: hashToken(SERVICE) },
        ],
      }),
    );
    // A disk "nearly full" by the hub's own thresholds: the self-watch degrades disk-space at once.
    t = await startTestHub({
      settings: {
        link: linkSettings(broker, pki, 'hub-h', users['hub-h']),
        watch: { disk_free_mb: 100_000_000, disk_critical_mb: 1 },
        notify: { unavailable_minutes: 0, tick_ms: 100 },
      },
    });
    owner = await setupOwner(t);
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await relay?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the self-watch alert and snapshots per hub, bounded, and shows them to a granted engineer and to services', async () => {
    const alerts = await waitFor(async () => {
      const list = await relay.broker.store.reports.list('hub-h', 'alert');
      return list.find((r) => r.type === 'alert.health' && /disk-space/.test(String(r.data.text))) ? list : undefined;
    }, 'the disk alert at the relay');
    expect(alerts[0]!.data).toMatchObject({ kind: 'alert.health', severity: 'warning', subject: 'alert:health:disk-space' });

    const reporter = t.hub.services.get<HubReporter>('link-reports')!;
    for (let i = 0; i < 25; i++) reporter.snapshot();
    await waitFor(async () => (await relay.broker.store.reports.list('hub-h', 'telemetry', 500)).length >= 10, 'snapshots at the relay');
    await waitFor(() => linkOf(t).outbox!.depth === 0, 'the outbox drained');
    const snaps = await relay.broker.store.reports.list('hub-h', 'telemetry', 500);
    expect(snaps).toHaveLength(10); // relay.reports_keep
    expect(snaps[0]!.data.status).toBe('degraded');
    expect((snaps[0]!.data.components as Record<string, { status: string }>)['disk-space']!.status).toBe('degraded');

    // Engineers read them only under a grant the hub announced; services (offline notices) always.
    const denied = await relayApi('/relay/v1/support/hubs/hub-h/reports', ENGINEER);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('NO_GRANT');
    expect((await relayApi('/relay/v1/support/hubs/hub-h/reports')).status).toBe(401);
    const svc = await relayApi('/relay/v1/support/hubs/hub-h/reports?class=alert', SERVICE);
    expect(svc.status).toBe(200);
    expect(svc.body.reports[0].type).toBe('alert.health');

    const granted = await api(t, 'POST', '/support/sessions', { cookie: owner, body: { scope: 'diagnostics', duration_minutes: 10 } });
    expect(granted.status).toBe(201);
    await waitFor(() => relay.broker.hub('hub-h')?.support.length, 'the grant announced');
    const res = await relayApi('/relay/v1/support/hubs/hub-h/reports?limit=100', ENGINEER);
    expect(res.status).toBe(200);
    expect(res.body.reports.filter((r: { class: string }) => r.class === 'telemetry')).toHaveLength(10);
    expect(res.body.reports.some((r: { type: string }) => r.type === 'alert.health')).toBe(true);
    expect((await relayApi('/relay/v1/support/hubs/hub-h/reports?class=nope', ENGINEER)).status).toBe(400);
  });
});
