import { chmodSync, existsSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
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
    const results = await Promise.all(
      ['alice', 'mallory'].map((username) => api(t!, 'POST', '/setup', { body: { setup_code: code, ...OWNER, username } })),
    );
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
