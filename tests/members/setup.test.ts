import { chmodSync, existsSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { ManualClock } from '../../src/core/clock.js';
import { addressKey } from '../../src/members/setup.js';
import { OWNER, api, auditKinds, expectNotLogged, sessionCookie, setupCode } from './helpers.js';

/** Starts a hub while collecting what it writes straight to the process's stdout. */
async function startCapturing(options: Parameters<typeof startTestHub>[0] = {}): Promise<{ t: TestHub; stdout: string }> {
  const original = process.stdout.write.bind(process.stdout);
  let stdout = '';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const t = await startTestHub(options);
    return { t, stdout };
  } finally {
    process.stdout.write = original;
  }
}

describe('first run', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('writes the setup code to <data>/setup-code with mode 0600 and prints it, but never logs it', async () => {
    const started = await startCapturing();
    t = started.t;
    const file = join(t.dataDir, 'setup-code');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    const code = setupCode(t);
    expect(code).toMatch(/^\d{4}-\d{4}$/);
    expect(started.stdout).toContain(`Setup code: ${code}`);
    expect((await api(t, 'GET', '/setup')).body).toEqual({ needed: true });
    expect(t.logs.raw.some((l) => l.includes('setup-code'))).toBe(true); // the log says where, not what
    expectNotLogged(t, [code, code.replace('-', '')]);
  });

  it('refuses a wrong code with 403, audits it, and rate limits guessing', async () => {
    t = await startTestHub();
    const wrong = { setup_code: '0000-0000', ...OWNER };
    const first = await api(t, 'POST', '/setup', { body: wrong });
    expect(first.status).toBe(403);
    expect(first.body.error.code).toBe('SETUP_CODE_INVALID');
    const failed = auditKinds(t, 'setup.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ ip: '127.0.0.1', reason: 'wrong_code' });
    for (let i = 0; i < 4; i++) expect((await api(t, 'POST', '/setup', { body: wrong })).status).toBe(403);
    const limited = await api(t, 'POST', '/setup', { body: { ...wrong, setup_code: setupCode(t) } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api(t, 'GET', '/setup')).body).toEqual({ needed: true });
  });

  it("other LAN addresses guessing cannot block the owner's device; the refusal says whose tries and when to retry", async () => {
    const clock = new ManualClock(Date.now());
    t = await startTestHub({ clock, settings: { http: { trust_proxy: true } } });
    const from = (ip: string, code: string) => api(t!, 'POST', '/setup', { body: { ...OWNER, setup_code: code }, headers: { 'x-forwarded-for': ip } });
    // 25 wrong codes from nine other hosts: four spend their own limits, and the global one.
    for (let host = 1; host <= 4; host++) for (let i = 0; i < 5; i++) expect((await from(`192.168.1.${100 + host}`, '0000-0000')).status).toBe(403);
    for (let host = 5; host <= 9; host++) expect((await from(`192.168.1.${100 + host}`, '0000-0000')).status).toBe(403);
    const noisy = await from('192.168.1.101', '0000-0000');
    expect(noisy.status).toBe(429);
    expect(noisy.body.error.message).toMatch(/^Too many wrong setup codes from this device; try again in \d+ s$/);
    const blocked = await from('192.168.1.106', '0000-0000'); // a host that failed once waits for the global limit
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.message).toMatch(/^Too many wrong setup codes on this network; try again in \d+ s$/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The owner's phone has not guessed: its right code goes through.
    const owner = await from('192.168.1.20', setupCode(t));
    expect(owner.status).toBe(201);
  });

  it('counts an IPv6 host by its /64, so it cannot mint fresh addresses to dodge the limit', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.168.1.5')).toBe('192.168.1.5');
  });

  it('creates the first owner once with the right code, removes the file, then answers 409 for good', async () => {
    t = await startTestHub();
    const code = setupCode(t);
    const res = await api(t, 'POST', '/setup', { body: { setup_code: code, ...OWNER } });
    expect(res.status).toBe(201);
    expect(res.body.member).toMatchObject({ username: 'alice', display_name: 'Alice', role: 'owner', has_pin: true, has_password: true });
    expect(JSON.stringify(res.body)).not.toContain('hash');
    sessionCookie(res); // signed in straight away
    expect(existsSync(join(t.dataDir, 'setup-code'))).toBe(false);
    expect((await api(t, 'GET', '/setup')).body).toEqual({ needed: false });
    const again = await api(t, 'POST', '/setup', { body: { setup_code: code, ...OWNER, username: 'mallory' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('SETUP_DONE');
    const done = auditKinds(t, 'setup.completed');
    expect(done).toHaveLength(1);
    expect(done[0]!.subject).toBe(res.body.member.id);
    expectNotLogged(t, [code, OWNER.password]);
  });

  it('makes exactly one owner when two correct setups race', async () => {
    t = await startTestHub();
    const code = setupCode(t);
    const results = await Promise.all(['alice', 'mallory'].map((username) => api(t!, 'POST', '/setup', { body: { setup_code: code, ...OWNER, username } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('SETUP_DONE');
    const owners = t.hub.ctx.store.db.prepare("SELECT COUNT(*) AS n FROM members WHERE role = 'owner'").get() as { n: number };
    expect(owners.n).toBe(1);
  });

  it('applies the password policy to the first owner', async () => {
    t = await startTestHub();
    const code = setupCode(t);
    const short = await api(t, 'POST', '/setup', { body: { setup_code: code, ...OWNER, password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('VALIDATION_FAILED');
    const same = await api(t, 'POST', '/setup', { body: { setup_code: code, ...OWNER, username: 'longusername1', password: 'LongUsername1' } });
    expect(same.status).toBe(400);
    expect(same.body.error.code).toBe('WEAK_PASSWORD');
    const extra = await api(t, 'POST', '/setup', { body: { setup_code: code, ...OWNER, role: 'owner' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('VALIDATION_FAILED');
    expect((await api(t, 'GET', '/setup')).body).toEqual({ needed: true });
  });

  it('keeps the same code across restarts until setup, repairs a loose file mode, and prints nothing after setup', async () => {
    const dataDir = tempDir();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'setup-code'), '1234-5678\n');
    chmodSync(join(dataDir, 'setup-code'), 0o644);
    t = await startTestHub({ dataDir });
    expect(setupCode(t)).toBe('1234-5678');
    expect(statSync(join(dataDir, 'setup-code')).mode & 0o777).toBe(0o600);
    await t.stop();

    t = await startTestHub({ dataDir });
    expect(setupCode(t)).toBe('1234-5678');
    expect((await api(t, 'POST', '/setup', { body: { setup_code: '1234 5678', ...OWNER } })).status).toBe(201);
    await t.stop();

    const started = await startCapturing({ dataDir });
    t = started.t;
    expect(started.stdout).not.toContain('Setup code');
    expect(existsSync(join(dataDir, 'setup-code'))).toBe(false);
    expect((await api(t, 'GET', '/setup')).body).toEqual({ needed: false });
  });
});
