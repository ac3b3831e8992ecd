import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Entity } from '../../../src/devices/model.js';
import { checkHomeAssistant } from '../../../src/devices/homeassistant/adapter.js';
import { tempDir, type TestHub } from '../../helpers/hub.js';
import { makePki, type Pki } from '../../helpers/mosquitto.js';
import { runCli, SLOW_TEST_MS } from '../../cli/slow.js';
import { api, setupOwner } from '../../members/helpers.js';
import { FakeHomeAssistant } from '../../fakes/home-assistant.js';
import { adapterTestKit, HOME, TOKEN, sleep } from './helpers.js';

/**
 * Home Assistant over https with a certificate from the home's own CA (made by openssl in
 * makePki): trusted through homeassistant.ca, refused with a clear sentence without it.
 */
const UNTRUSTED = "certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): set homeassistant.ca to your CA's PEM file";

const { cleanups, hubWith } = adapterTestKit();
let pki: Pki;
let fake: FakeHomeAssistant;

beforeAll(async () => {
  pki = makePki(tempDir('hearth-ha-pki-'));
  fake = await FakeHomeAssistant.start({
    token: TOKEN,
    states: HOME,
    tls: { cert: readFileSync(pki.serverCert, 'utf8'), key: readFileSync(pki.serverKey, 'utf8') },
  });
});
afterAll(async () => {
  await fake.stop();
  rmSync(pki.dir, { recursive: true, force: true });
});
async function health(t: TestHub): Promise<{ status: string; ha: { status: string; detail: string } }> {
  const body = (await (await fetch(`${t.url}/api/v1/health`)).json()) as { status: string; components: Record<string, { status: string; detail: string }> };
  return { status: body.status, ha: body.components.homeassistant! };
}

async function until<T>(check: () => Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const doctor = (env: NodeJS.ProcessEnv) => {
  const data = tempDir();
  cleanups.push(() => rmSync(data, { recursive: true, force: true }));
  return runCli(['doctor'], {
    env: {
      HEARTH_DATA_DIR: data,
      HEARTH_HTTP_HOST: '127.0.0.1',
      HEARTH_HTTP_PORT: '0',
      HEARTH_MQTT_HOST: '127.0.0.1',
      HEARTH_MQTT_PORT: '0',
      HEARTH_HOMEASSISTANT_URL: fake.url,
      HEARTH_HOMEASSISTANT_TOKEN: TOKEN,
      ...env,
    },
  });
};
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);

describe('Home Assistant over https with a private CA', { timeout: SLOW_TEST_MS }, () => {
  it("with homeassistant.ca set to the home's CA, the hub connects over wss and HA's entities appear; doctor says ok", async () => {
    expect(fake.url).toMatch(/^https:/);
    const t = await hubWith({ url: fake.url, token: TOKEN, ca: pki.caCert });
    const cookie = await setupOwner(t);
    const entities = await until(async () => {
      const res = await api<{ entities: Entity[] }>(t, 'GET', '/entities?source=homeassistant', { cookie });
      return res.body.entities.length === HOME.length ? res.body.entities : undefined;
    }, 'HA entities over wss');
    expect(entities.find((e) => e.id === 'light.kitchen')).toMatchObject({ state: 'on', available: true });
    const { ha } = await health(t);
    expect(ha.status).toBe('ok');
    expect(ha.detail).toContain(`connected to Home Assistant 2025.1.2 at wss://127.0.0.1:${fake.port}/api/websocket`);

    const r = await doctor({ HEARTH_HOMEASSISTANT_CA: pki.caCert });
    expect(r.stdout).toMatch(/^ok\s+homeassistant\s+connected and authenticated to Home Assistant .* at wss:\/\//m);
  });

  it('without it the certificate is refused: the hub runs on and retries, health, doctor and test-connection name the problem; setting it at run time connects', async () => {
    const authBefore = fake.authAttempts;
    const t = await hubWith({ url: fake.url, token: TOKEN });
    const cookie = await setupOwner(t);
    // Back-off starts at 1 s: a second attempt shows the bridge keeps retrying, as for any failure.
    const refused = await until(async () => {
      const h = await health(t);
      return h.ha.detail.includes(UNTRUSTED) && /attempt [2-9]/.test(h.ha.detail) ? h : undefined;
    }, 'the certificate problem in health, after a retry');
    expect(refused.status).toBe('degraded'); // the hub serves on; only the bridge is out
    expect(refused.ha.status).toBe('degraded');
    expect(fake.authAttempts).toBe(authBefore); // the token never went to a server we could not verify

    const tried = await api<{ status: string; detail: string }>(t, 'POST', '/settings/test-connection', {
      cookie,
      body: { kind: 'homeassistant', values: {} },
    });
    expect(tried.status).toBe(200);
    expect(tried.body).toEqual({ kind: 'homeassistant', status: 'fail', detail: `wss://127.0.0.1:${fake.port}/api/websocket: ${UNTRUSTED}` });
    const withCa = await api<{ status: string; detail: string }>(t, 'POST', '/settings/test-connection', {
      cookie,
      body: { kind: 'homeassistant', values: { ca: pki.caCert } },
    });
    expect(withCa.body.status).toBe('ok');

    const r = await doctor({});
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^FAIL\\s+homeassistant\\s+wss://127\\.0\\.0\\.1:${fake.port}/api/websocket: ${UNTRUSTED.replace(/[().]/g, '\\$&')}$`, 'm'),
    );
    noStack(r.stdout + r.stderr);

    // A path that is not a CA file is refused before it is stored; a good one takes effect at once.
    expect(() => t.hub.ctx.settings.update({ homeassistant: { ca: join(pki.dir, 'missing.crt') } }, 'test')).toThrow(/homeassistant\.ca.*ENOENT/);
    const change = t.hub.ctx.settings.update({ homeassistant: { ca: pki.caCert } }, 'test');
    expect(change.restart_required).toEqual([]);
    await until(async () => (await health(t)).ha.status === 'ok', 'connected once homeassistant.ca is set');
  });

  it('a CA that did not sign the certificate is named as the problem', async () => {
    expect(await checkHomeAssistant(fake.url, TOKEN, 5000, pki.caCert)).toMatchObject({ ok: true });
    const out = await checkHomeAssistant(fake.url, TOKEN, 5000, pki.rogueCaCert);
    expect(out).toEqual({
      ok: false,
      detail: expect.stringContaining(
        `certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): it is not signed by the CA in homeassistant.ca (${pki.rogueCaCert})`,
      ),
    });
  });

  it('a homeassistant.ca that does not exist, or holds no certificate, stops start-up with exit 78 naming the key', async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const start = (ca: string) =>
      runCli(['start', '--data', join(dir, 'data')], {
        cwd: dir,
        env: { HEARTH_HTTP_HOST: '127.0.0.1', HEARTH_HTTP_PORT: '0', HEARTH_MQTT_HOST: '127.0.0.1', HEARTH_MQTT_PORT: '0', HEARTH_HOMEASSISTANT_CA: ca },
      });

    const missing = join(dir, 'no-such-ca.pem');
    const r = await start(missing);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(
      `settings key "homeassistant.ca" has value "${missing}" (HEARTH_HOMEASSISTANT_CA): expected a readable PEM file of CA certificates: cannot read ${missing} (ENOENT)`,
    );
    noStack(r.stderr);

    const notPem = join(dir, 'ca.txt');
    writeFileSync(notPem, 'not a certificate\n');
    const r2 = await start(notPem);
    expect(r2.code).toBe(78);
    expect(r2.stderr).toContain('homeassistant.ca');
    expect(r2.stderr).toContain('holds no PEM certificate');
  });
});
