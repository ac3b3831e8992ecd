import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runDoctor, type DoctorResult } from '../../src/cli/commands/doctor.js';
import { tempDir, type HubProcess } from '../helpers/hub.js';
import { runCli, spawnHub, SLOW_TEST_MS } from './slow.js';
import { FakeTwilio } from '../fakes/twilio.js';

const find = (results: DoctorResult[], check: string) => results.find((r) => r.check === check);
const listen = (server: Server | HttpServer): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('hearth doctor', { timeout: SLOW_TEST_MS }, () => {
  const dirs: string[] = [];
  const servers: (Server | HttpServer)[] = [];
  let hub: HubProcess | undefined;
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    if (hub && hub.child.exitCode === null) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    hub = undefined;
    for (const s of servers.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const base = (data: string) => ({
    HEARTH_HTTP_HOST: '127.0.0.1',
    HEARTH_MQTT_HOST: '127.0.0.1',
    HEARTH_HTTP_PORT: '0',
    HEARTH_MQTT_PORT: '0',
    HEARTH_DATA_DIR: data,
  });

  it('passes on a fresh machine with warnings for what the first start creates', async () => {
    const data = join(dir(), 'data');
    const r = await runCli(['doctor'], { env: base(data) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+settings\s+no config file/m);
    expect(r.stdout).toMatch(/^warn\s+database\s+no database/m);
    expect(r.stdout).toMatch(/^ok\s+disk\s+\d+ MiB free/m);
    expect(r.stdout).toMatch(/doctor: no problems/);
  });

  it('a bad config: FAIL naming it, exit 78', async () => {
    const d = dir();
    writeFileSync(join(d, 'bad.yaml'), 'mqtt:\n  port: "x"\n');
    const r = await runCli(['doctor', '--config', join(d, 'bad.yaml')], { env: { HEARTH_DATA_DIR: d } });
    expect(r.code).toBe(78);
    expect(r.stdout).toMatch(/^FAIL\s+settings\s+.*mqtt\.port.*"x"/m);
    expect(r.stderr).toMatch(/first: settings/);
  });

  it('beside a running hub: database, migrations and audit ok; the HTTP port is held by this hub', async () => {
    const data = dir();
    hub = await spawnHub(['--data', data]);
    const port = new URL(hub.url).port;
    const r = await runCli(['doctor'], { env: { ...base(data), HEARTH_HTTP_PORT: port } });
    expect(r.stdout).toMatch(/^ok\s+database\s+.*integrity ok/m);
    expect(r.stdout).toMatch(/^ok\s+migrations\s+\d+ applied, none pending/m);
    expect(r.stdout).toMatch(/^ok\s+audit trail\s+intact/m);
    expect(r.stdout).toMatch(new RegExp(`^ok\\s+http port\\s+${port} is held by this hub \\(pid ${hub.child.pid}\\)`, 'm'));
    expect(r.code).toBe(0);
  });

  it('a port taken by another program: FAIL and a non-zero exit naming it', async () => {
    const data = dir();
    const squatter = createTcpServer();
    servers.push(squatter);
    const port = await listen(squatter);
    const r = await runCli(['doctor'], { env: { ...base(data), HEARTH_HTTP_PORT: String(port) } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL\\s+http port\\s+${port} is in use by another program`, 'm'));
    expect(r.stderr).toMatch(/hearth doctor: 1 problem; first: http port/);
  });

  it('a broken audit trail: FAIL naming the entry', async () => {
    const data = dir();
    hub = await spawnHub(['--data', data]);
    hub.child.kill('SIGTERM');
    await hub.exited;
    const db = new Database(join(data, 'hearth.db'));
    db.exec("UPDATE audit SET kind = 'x' WHERE seq = 1");
    db.close();
    const results = await runDoctor({ env: base(data) });
    expect(find(results, 'audit trail')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/broken at entry 1/) });
  });

  it('telegram: getMe against the configured api_root; a rejected token fails and is never printed', async () => {
    const data = dir();
    const good = '123456:GOOD-token-value';
    const api = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === `/bot${good}/getMe`) return res.end(JSON.stringify({ ok: true, result: { id: 1, is_bot: true, username: 'hearth_test_bot' } }));
      res.statusCode = 401;
      res.end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
    });
    servers.push(api);
    const port = await listen(api);
    const env = { ...base(data), HEARTH_TELEGRAM_API_ROOT: `http://127.0.0.1:${port}` };
    const ok = await runDoctor({ env: { ...env, HEARTH_TELEGRAM_TOKEN: good } });
    expect(find(ok, 'telegram')).toMatchObject({ status: 'ok', detail: expect.stringContaining('@hearth_test_bot') });
    const bad = await runDoctor({ env: { ...env, HEARTH_TELEGRAM_TOKEN: '999:BAD-secret-value' } });
    expect(find(bad, 'telegram')).toMatchObject({ status: 'fail', detail: expect.stringContaining('rejected the bot token') });
    const down = await runDoctor({ env: { ...env, HEARTH_TELEGRAM_API_ROOT: 'http://127.0.0.1:1', HEARTH_TELEGRAM_TOKEN: '999:BAD-secret-value' } });
    expect(find(down, 'telegram')?.status).toBe('fail');
    expect(JSON.stringify([ok, bad, down])).not.toMatch(/GOOD-token-value|BAD-secret-value/);
  });

  it('twilio: asks Twilio for the account and says what is wrong (made-up credentials fail)', async () => {
    const data = dir();
    const tw = await new FakeTwilio().start();
    try {
      const good = {
        HEARTH_TWILIO_ACCOUNT_SID: tw.accountSid,
        HEARTH_TWILIO_AUTH_TOKEN: tw.authToken,
        HEARTH_TWILIO_FROM: '+15551234567',
        HEARTH_TWILIO_API_ROOT: tw.apiRoot,
      };
      expect(find(await runDoctor({ env: { ...base(data), ...good, HEARTH_TWILIO_PUBLIC_URL: 'https://hub.example.org' } }), 'twilio')).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('Twilio accepted'),
      });
      expect(find(await runDoctor({ env: { ...base(data), ...good } }), 'twilio')).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining('twilio.public_url'),
      });
      const madeUp = await runDoctor({ env: { ...base(data), ...good, HEARTH_TWILIO_AUTH_TOKEN: 'b'.repeat(32) } });
      expect(find(madeUp, 'twilio')).toMatchObject({ status: 'fail', detail: expect.stringContaining('refused the account SID or auth token') });
      expect(JSON.stringify(madeUp)).not.toContain('b'.repeat(32));
      expect(find(await runDoctor({ env: { ...base(data), ...good, HEARTH_TWILIO_FROM: '555-1234' } }), 'twilio')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('E.164'),
      });
      expect(find(await runDoctor({ env: { ...base(data), HEARTH_TWILIO_ACCOUNT_SID: good.HEARTH_TWILIO_ACCOUNT_SID } }), 'twilio')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('twilio.auth_token'),
      });
      expect(find(await runDoctor({ env: base(data) }), 'twilio')?.status).toBe('skip');
    } finally {
      await tw.stop();
    }
  });

  it('home assistant: an unreachable server fails', async () => {
    const data = dir();
    const results = await runDoctor({
      env: { ...base(data), HEARTH_HOMEASSISTANT_URL: 'http://127.0.0.1:1', HEARTH_HOMEASSISTANT_TOKEN: 'secret-ha-token' },
      timeoutMs: 3000,
    });
    expect(find(results, 'homeassistant')?.status).toBe('fail');
    expect(JSON.stringify(results)).not.toContain('secret-ha-token');
  });

  describe('link: TLS to the broker, verified against link.ca', () => {
    let pki: string;
    beforeAll(() => {
      pki = tempDir('hearth-pki-');
      const run = (args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'ignore' });
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '60', '-subj', '/CN=Hearth Test CA']);
      run(['req', ...ec, '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost']);
      writeFileSync(join(pki, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
      run([
        'x509',
        '-req',
        '-in',
        'broker.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'broker.pem',
        '-days',
        '60',
        '-extfile',
        'san.ext',
      ]);
    });
    afterAll(() => rmSync(pki, { recursive: true, force: true }));

    it('ok against the right CA; FAIL against none, and for a plain mqtt:// URL', async () => {
      const broker = createTlsServer({ key: readFileSync(join(pki, 'broker.key')), cert: readFileSync(join(pki, 'broker.pem')) }, (s) => s.end());
      servers.push(broker);
      const port = await listen(broker);
      const data = dir();
      const env = { ...base(data), HEARTH_LINK_URL: `mqtts://localhost:${port}`, HEARTH_LINK_HUB_ID: 'test-hub' };
      const ok = find(await runDoctor({ env: { ...env, HEARTH_LINK_CA: join(pki, 'ca.pem') } }), 'link');
      expect(ok).toMatchObject({ status: 'ok', detail: expect.stringMatching(/TLS verified.*certificate localhost valid/) });
      const unverified = find(await runDoctor({ env }), 'link');
      expect(unverified?.status).toBe('fail');
      expect(unverified?.detail).toMatch(/certificate|SELF_SIGNED|UNABLE_TO/i);
      const plain = find(await runDoctor({ env: { ...env, HEARTH_LINK_URL: `mqtt://localhost:${port}` } }), 'link');
      expect(plain).toMatchObject({ status: 'fail', detail: expect.stringContaining('not TLS') });
      const missingCa = find(await runDoctor({ env: { ...env, HEARTH_LINK_CA: join(pki, 'nope.pem') } }), 'link');
      expect(missingCa).toMatchObject({ status: 'fail', detail: expect.stringContaining('ENOENT') });
    });
  });
});
