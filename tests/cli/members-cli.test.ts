import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { api, createMember, login } from '../members/helpers.js';
import { runCli, SLOW_TEST_MS } from './slow.js';
import { OWNER, setupOwner } from './owner.js';

const NEW_PASSWORD = 'a brand new owner secret';
const BOB = { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bob original password' };

/**
 * `hearth members list|reset-password` against a real hub's data directory: the owner is made
 * through the setup route, the CLI runs as its own process, and the hub is started again to
 * see what the reset did to sign-in.
 */
describe('hearth members', { timeout: SLOW_TEST_MS }, () => {
  let data: string;
  let hub: TestHub | undefined;
  let setupCookie: string;
  let bobId: string;

  beforeEach(async () => {
    data = tempDir();
    hub = await startTestHub({ dataDir: data });
    setupCookie = await setupOwner(hub.url, data);
    bobId = (await createMember(hub, setupCookie, BOB)).id;
  });
  afterEach(async () => {
    await stopHub();
    rmSync(data, { recursive: true, force: true });
  });

  const stopHub = async () => {
    await hub?.stop();
    hub = undefined;
  };
  const startHub = async () => (hub = await startTestHub({ dataDir: data }));
  const cli = (args: string[], input?: string) => runCli([...args, '--data', data], { cwd: data, input });
  /** Reads the file directly, with the hub stopped. */
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(join(data, 'hearth.db'), { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const hashOf = (username: string) => query<{ password_hash: string }>('SELECT password_hash FROM members WHERE username = ?', username)[0]!.password_hash;
  const auditCount = () => query<{ n: number }>('SELECT COUNT(*) AS n FROM audit')[0]!.n;
  const sessionCount = () => query<{ n: number }>('SELECT COUNT(*) AS n FROM sessions')[0]!.n;
  const loginStatus = async (username: string, password: string) => (await api(hub!, 'POST', '/auth/login', { body: { username, password } })).status;

  it('reset-password: refused beside a running hub; with it stopped, ends the sessions, swaps the password, audited', async () => {
    const loginCookie = await login(hub!, OWNER.username, OWNER.password);

    // Beside the running hub: refused, naming why, and nothing written.
    const beside = await cli(['members', 'reset-password', OWNER.username], `${NEW_PASSWORD}\n`);
    expect(beside.code).toBe(75);
    expect(beside.stderr).toMatch(/needs the hub stopped/);
    expect(await loginStatus(OWNER.username, OWNER.password)).toBe(200);

    await stopHub();
    const auditBefore = auditCount();
    const r = await cli(['members', 'reset-password', OWNER.username], `${NEW_PASSWORD}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/new password set for owner; 3 sessions ended/);
    expect(auditCount()).toBe(auditBefore + 1);
    expect(query("SELECT 1 FROM sessions s JOIN members m ON m.id = s.member_id WHERE m.username = 'owner'")).toEqual([]);
    expect(query("SELECT 1 FROM sessions s JOIN members m ON m.id = s.member_id WHERE m.username = 'bob'")).toHaveLength(0); // bob never signed in
    expect(hashOf(OWNER.username)).toMatch(/^\$scrypt\$ln=15,/);

    await startHub();
    for (const cookie of [setupCookie, loginCookie]) expect((await api(hub!, 'GET', '/auth/me', { cookie })).status).toBe(401);
    expect(await loginStatus(OWNER.username, OWNER.password)).toBe(401);
    expect(await loginStatus(OWNER.username, NEW_PASSWORD)).toBe(200);

    const entries = hub!.hub.ctx.audit.list({ kind: 'member.password_reset', limit: 10 }).entries;
    expect(entries).toHaveLength(1);
    const owner = query<{ id: string }>("SELECT id FROM members WHERE username = 'owner'")[0]!;
    expect(entries[0]).toMatchObject({ origin: 'cli', subject: owner.id, data: { username: 'owner', re_enabled: false } });
    expect(entries[0]!.actor).toMatch(/^os:/);
    const text = JSON.stringify(entries[0]);
    for (const secret of [NEW_PASSWORD, OWNER.password, 'scrypt']) expect(text).not.toContain(secret);
    await stopHub();
    // Not in the entry, and not anywhere in the database either (only its hash is).
    for (const f of readdirSync(data).filter((n) => n.startsWith('hearth.db'))) {
      expect(readFileSync(join(data, f)).includes(Buffer.from(NEW_PASSWORD)), f).toBe(false);
    }

    const verify = await cli(['audit', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/intact/);
  });

  it('a weak password is refused with the rule named, and nothing changes', async () => {
    await login(hub!, OWNER.username, OWNER.password);
    await stopHub();
    const before = { hash: hashOf(OWNER.username), audit: auditCount(), sessions: sessionCount() };
    const cases: [string, RegExp][] = [
      ['short\n', /at least 10 characters/],
      ['aaaaaaaaaaaaaa\n', /must not be one character repeated/],
      ['ab'.repeat(150), /<=256/],
      ['', /no password/],
    ];
    for (const [input, rule] of cases) {
      const r = await cli(['members', 'reset-password', OWNER.username], input);
      expect(r.code, r.stderr).toBe(64);
      expect(r.stderr).toMatch(rule);
      expect(r.stderr).toMatch(/nothing was changed/);
    }
    expect({ hash: hashOf(OWNER.username), audit: auditCount(), sessions: sessionCount() }).toEqual(before);

    // The username rule needs a username of 10+ characters to be reached.
    await startHub();
    const cookie = await login(hub!, OWNER.username, OWNER.password);
    await createMember(hub!, cookie, { username: 'grandmother', display_name: 'Gran', role: 'elder', password: 'gran original password' });
    await stopHub();
    const gran = { hash: hashOf('grandmother'), audit: auditCount() };
    const same = await cli(['members', 'reset-password', 'grandmother'], 'GrandMother\n');
    expect(same.code).toBe(64);
    expect(same.stderr).toMatch(/must not be the username/);
    expect({ hash: hashOf('grandmother'), audit: auditCount() }).toEqual(gran);
    expect(query("SELECT 1 FROM audit WHERE kind = 'member.password_reset'")).toEqual([]);
  });

  it('an unknown username: non-zero exit, clear message, no audit entry', async () => {
    await stopHub();
    const before = auditCount();
    const r = await cli(['members', 'reset-password', 'nobody'], `${NEW_PASSWORD}\n`);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/no member is called "nobody"/);
    expect(auditCount()).toBe(before);
  });

  it('a disabled member is refused unless --enable, which re-enables them with the new password', async () => {
    const off = await api(hub!, 'PATCH', `/members/${bobId}`, { cookie: setupCookie, body: { disabled: true } });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    await stopHub();
    const before = { hash: hashOf('bob'), audit: auditCount() };

    const refused = await cli(['members', 'reset-password', 'bob'], `${NEW_PASSWORD}\n`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bob is disabled.*--enable/);
    expect(hashOf('bob')).toBe(before.hash);
    expect(auditCount()).toBe(before.audit);

    const enabled = await cli(['members', 'reset-password', 'bob', '--enable'], `${NEW_PASSWORD}\n`);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toMatch(/re-enabled/);
    await startHub();
    expect(await loginStatus('bob', BOB.password)).toBe(401);
    expect(await loginStatus('bob', NEW_PASSWORD)).toBe(200);
    expect(hub!.hub.ctx.audit.list({ kind: 'member.password_reset', limit: 10 }).entries[0]).toMatchObject({ subject: bobId, data: { re_enabled: true } });
  });

  it('list: every member with name, role and status, beside the running hub, and never a hash', async () => {
    const off = await api(hub!, 'PATCH', `/members/${bobId}`, { cookie: setupCookie, body: { disabled: true } });
    expect(off.status).toBe(200);
    const r = await cli(['members', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+NAME\s+ROLE\s+STATUS$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['bob', 'Bob', 'adult', 'disabled'],
      ['owner', 'The Owner', 'owner', 'active'],
    ]);
    await stopHub();
    const hashes = query<{ password_hash: string }>('SELECT password_hash FROM members').map((m) => m.password_hash);
    expect(hashes.length).toBe(2);
    for (const h of hashes) expect(r.stdout).not.toContain(h.split('$').pop()!);
    expect(r.stdout).not.toMatch(/scrypt|\$/);
  });
});
