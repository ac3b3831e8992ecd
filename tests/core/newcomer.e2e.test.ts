import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';

/**
 * Issue 2's "done when", as a newcomer would do it against a real `hearth start` process:
 * read the setup code, create the owner, sign in, add a member, read and verify the trail.
 */
describe('a newcomer sets up the hub through the API', () => {
  const dataDir = tempDir();
  let hub: HubProcess;
  let cookie = '';

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub.url}/api/v1${path}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };

  beforeAll(async () => {
    hub = await spawnHub([], { env: { HEARTH_DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  });

  it('prints the setup code and keeps it in a 0600 file', () => {
    const file = join(dataDir, 'setup-code');
    const code = readFileSync(file, 'utf8').trim();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(hub.output()).toContain(code);
  });

  it('creates the owner with the code, then the setup route is closed', async () => {
    expect((await call('GET', '/setup')).body).toEqual({ needed: true });
    const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
    const made = await call('POST', '/setup', { setup_code: code, username: 'dana', password: 'a long good passphrase', display_name: 'Dana', pin: '2468' });
    expect(made.status).toBe(201);
    const again = await call('POST', '/setup', { setup_code: code, username: 'eve', password: 'another long passphrase', display_name: 'Eve' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('SETUP_DONE');
  });

  it('signs in, adds a member and reads the trail', async () => {
    const login = await call('POST', '/auth/login', { username: 'dana', password: 'a long good passphrase' });
    expect(login.status).toBe(200);
    cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('hearth_session='))!
      .split(';')[0]!;
    // Adding a person is a hub change through the gate: a sign-in with the password alone has
    // not confirmed the owner's PIN yet, so the owner confirms it (then it is added).
    const added = await call('POST', '/members', { username: 'sam', display_name: 'Sam', role: 'adult', password: 'sam has a passphrase' });
    expect(added.status).toBe(202);
    expect((await call('POST', `/approvals/${added.body.approval_id}/decision`, { decision: 'approve', pin: '2468' })).body.state).toBe('executed');
    const list = await call('GET', '/members');
    expect(list.body.members.map((m: { username: string }) => m.username).sort()).toEqual(['dana', 'sam']);

    const trail = await call('GET', '/audit?limit=100');
    const kinds = trail.body.entries.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['setup.completed', 'auth.login', 'member.created']));
    const verify = await call('GET', '/audit/verify');
    expect(verify.body.ok).toBe(true);
  });

  it('the command line verifies the same trail while the hub runs', async () => {
    const res = await runCli(['audit', 'verify', '--data', dataDir]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/intact: \d+ entries/);
  });
});
