import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { FakeTelegram } from '../fakes/telegram-bot-api.js';
import type { TelemetrySampler } from '../../src/health/history.js';

// The two routes added for the web UI: test-connection (first run, settings) and health history.
describe('routes the web UI needs', () => {
  let t: TestHub;
  let telegram: FakeTelegram;
  let cookie = '';

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    t = await startTestHub({ settings: { telegram: { api_root: telegram.apiRoot } } });
    const code = readFileSync(join(t.dataDir, 'setup-code'), 'utf8').trim();
    const owner = { username: 'owner', password: 'owner password 1' };
    const setup = await fetch(`${t.url}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ setup_code: code, display_name: 'Owner', ...owner, pin: '2468' }),
    });
    expect(setup.status).toBeLessThan(300);
    const login = await fetch(`${t.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(owner) });
    cookie = /hearth_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
  });
  afterAll(async () => {
    await t?.stop();
    await telegram?.stop();
  });

  const call = (method: string, path: string, body?: unknown, auth = true) =>
    fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: { ...(auth ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('test-connection needs the owner', async () => {
    const res = await call('POST', '/settings/test-connection', { kind: 'telegram', values: {} }, false);
    expect(res.status).toBe(401);
  });

  it('says exactly what failed for a Home Assistant nobody runs, and stores nothing', async () => {
    const res = await call('POST', '/settings/test-connection', { kind: 'homeassistant', values: { url: 'http://127.0.0.1:1', token: 'abc' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; detail: string };
    expect(body.status).toBe('fail');
    expect(body.detail).toMatch(/127\.0\.0\.1:1.*ECONNREFUSED/);
    expect(body.detail).not.toContain('abc');
    const settings = (await (await call('GET', '/settings')).json()) as { homeassistant: { url?: string } };
    expect(settings.homeassistant.url).toBeUndefined();
  });

  it('checks a Telegram bot token against the Bot API, good and bad', async () => {
    const good = (await (await call('POST', '/settings/test-connection', { kind: 'telegram', values: { token: telegram.token } })).json()) as {
      status: string;
      detail: string;
    };
    expect(good).toMatchObject({ status: 'ok' });
    expect(good.detail).toContain('@hearth_test_bot');
    const bad = (await (await call('POST', '/settings/test-connection', { kind: 'telegram', values: { token: '999:wrong' } })).json()) as {
      status: string;
      detail: string;
    };
    expect(bad.status).toBe('fail');
    expect(bad.detail).toMatch(/rejected the bot token/);
    expect(bad.detail).not.toContain('999:wrong');
  });

  it('names the Twilio field that is wrong, and refuses a malformed URL with the key', async () => {
    const tw = (await (
      await call('POST', '/settings/test-connection', { kind: 'twilio', values: { account_sid: 'XY1', auth_token: '0'.repeat(32), from: '+15551234567' } })
    ).json()) as { status: string; detail: string };
    expect(tw.status).toBe('fail');
    expect(tw.detail).toContain('twilio.account_sid');
    const res = await call('POST', '/settings/test-connection', { kind: 'homeassistant', values: { url: 'not a url' } });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('INVALID_SETTINGS');
    expect(err.error.message).toContain('homeassistant.url');
    const empty = (await (await call('POST', '/settings/test-connection', { kind: 'link', values: {} })).json()) as { status: string; detail: string };
    expect(empty).toMatchObject({ status: 'fail' });
    expect(empty.detail).toMatch(/fill in the link fields/);
  });

  it('keeps a day of CPU, memory and disk samples, and prunes past retention', async () => {
    expect((await call('GET', '/health/history', undefined, false)).status).toBe(401);
    const sampler = t.hub.services.get<TelemetrySampler>('telemetry')!;
    await sampler.sample();
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    t.hub.ctx.store.telemetry.prepare('INSERT INTO telemetry_samples (at, cpu_pct, mem_pct, disk_pct, temp_c) VALUES (?, 1, 1, 1, NULL)').run(old);
    await sampler.sample(); // retention.telemetry_days is 2 by default: the 30-day-old sample goes
    const all = (await (await call('GET', '/health/history?hours=720')).json()) as {
      interval_s: number;
      samples: Array<Record<string, number | null | string>>;
    };
    expect(all.interval_s).toBe(60);
    expect(all.samples.length).toBeGreaterThanOrEqual(1);
    expect(all.samples.some((s) => s.at === old)).toBe(false);
    const s = all.samples[all.samples.length - 1]!;
    expect(typeof s.mem_pct).toBe('number');
    expect(s.mem_pct as number).toBeGreaterThan(0);
    expect(s.mem_pct as number).toBeLessThanOrEqual(100);
    expect(typeof s.disk_pct).toBe('number');
    const health = (await (await fetch(`${t.url}/api/v1/health`)).json()) as { components: Record<string, { status: string; detail: string }> };
    expect(health.components.telemetry?.detail).toMatch(/^last sample/);
  });
});
