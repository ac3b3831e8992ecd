import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, maskPhone } from '../../src/core/logger.js';
import { LogCapture, startTestHub, type TestHub } from '../helpers/hub.js';
import { OWNER, setupOwner } from '../cli/owner.js';

describe('GET /api/v1/audit as a signed-in owner', () => {
  let t: TestHub;
  let cookie: string;
  beforeAll(async () => {
    t = await startTestHub();
    cookie = await setupOwner(t.url, t.dataDir);
    // A few entries of known kinds: failed logins (anonymous) and a successful one.
    for (let i = 0; i < 3; i++) {
      await fetch(`${t.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: OWNER.username, password: `wrong password ${i}` }),
      });
    }
    await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: OWNER.username, password: OWNER.password }),
    });
  });
  afterAll(async () => t.stop());

  type Page = { entries: { seq: number; kind: string; actor: string; at: string }[]; next_before: number | null };
  const get = async (query: string): Promise<Page> => {
    const res = await fetch(`${t.url}/api/v1/audit${query}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };

  it('pages newest first with a cursor, without gaps or repeats', async () => {
    const all = await get('?limit=500');
    expect(all.next_before).toBeNull();
    const seqs: number[] = [];
    let cursor: number | null = null;
    do {
      const page: Page = await get(`?limit=2${cursor ? `&before=${cursor}` : ''}`);
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seqs.push(...page.entries.map((e) => e.seq));
      cursor = page.next_before;
    } while (cursor !== null);
    expect(seqs).toEqual(all.entries.map((e) => e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(all.entries.map((e) => e.kind)).toEqual(expect.arrayContaining(['hub.starting', 'setup.completed', 'auth.login.failed', 'auth.login']));
  });

  it('filters by kind (exact and prefix), actor and time range', async () => {
    const failed = await get('?kind=auth.login.failed');
    expect(failed.entries.length).toBeGreaterThanOrEqual(1);
    expect(failed.entries.every((e) => e.kind === 'auth.login.failed')).toBe(true);
    const auth = await get('?kind=auth.*');
    expect(auth.entries.every((e) => e.kind.startsWith('auth.'))).toBe(true);
    expect(auth.entries.some((e) => e.kind === 'auth.login')).toBe(true);
    const anon = await get('?actor=anonymous');
    expect(anon.entries.length).toBe(failed.entries.length);
    const system = await get('?actor=system');
    expect(system.entries.every((e) => e.actor === 'system')).toBe(true);
    const all = await get('?limit=500');
    const oldest = all.entries.at(-1)!;
    expect((await get(`?until=${encodeURIComponent(oldest.at)}`)).entries.every((e) => e.at <= oldest.at)).toBe(true);
    expect((await get(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).entries).toEqual([]);
  });

  it('verifies and exports the trail over HTTP', async () => {
    const verify = (await (await fetch(`${t.url}/api/v1/audit/verify`, { headers: { cookie } })).json()) as { ok: boolean; count: number };
    expect(verify.ok).toBe(true);
    const csv = await fetch(`${t.url}/api/v1/audit/export.csv`, { headers: { cookie } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\n');
    expect(lines[0]).toBe('seq,at,actor,origin,kind,subject,data,prev_hash,hash');
    expect(lines.length).toBe(verify.count + 1);
  });

  it('keeps secrets out of the logs, the audit trail and the settings view when the owner sets a token', async () => {
    const secret = '987654:AAE-super-secret-bot-token';
    const res = await fetch(`${t.url}/api/v1/settings`, {
      method: 'PATCH',
      headers: { cookie, 'content-type': 'application/json' },
      // A loopback api_root that refuses: the bot must not reach out from a test.
      body: JSON.stringify({ telegram: { token: secret, api_root: 'http://127.0.0.1:1' } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { changed: string[] }).changed).toContain('telegram.token');
    const view = (await (await fetch(`${t.url}/api/v1/settings`, { headers: { cookie } })).json()) as { telegram: { token: string } };
    expect(view.telegram.token).toBe('[secret]');
    const trail = await (await fetch(`${t.url}/api/v1/audit/export.csv`, { headers: { cookie } })).text();
    expect(trail).toContain('telegram.token');
    expect(trail).not.toContain(secret);
    expect(t.logs.raw.join('\n')).not.toContain(secret);
    expect(t.logs.raw.join('\n')).not.toContain(OWNER.password);
  });
});

describe('log redaction', () => {
  it('redacts passwords, tokens, auth headers and cookies at any depth, and masks phone numbers', () => {
    const capture = new LogCapture();
    const log = createLogger({ level: 'info', format: 'json', destination: capture });
    log.info(
      {
        password: 'pw-1',
        token: 'tok-1',
        member: { pin: '1234', phone: '+15551234567' },
        req: { headers: { authorization: 'Bearer tok-2', cookie: 'hearth_session=s-1' } },
      },
      'one',
    );
    log.child({ part: 'telegram' }).warn({ config: { telegram: { token: 'tok-3' }, link: { password: 'pw-2' } }, to: '+447700900123' }, 'two');
    log.info({ setup_code: '1234-5678', passphrase: 'pp-1', api_key: 'k-1', auth_token: 'tw-1' }, 'three');
    const text = capture.raw.join('\n');
    for (const secret of ['pw-1', 'pw-2', 'tok-1', 'tok-2', 'tok-3', 's-1', '1234-5678', 'pp-1', 'k-1', 'tw-1', '"1234"', '+15551234567', '+447700900123']) {
      expect(text).not.toContain(secret);
    }
    const [one, two] = capture.lines as [Record<string, any>, Record<string, any>];
    expect(one.password).toBe('[redacted]');
    expect(one.req.headers.authorization).toBe('[redacted]');
    expect(one.member.phone).toBe(maskPhone('+15551234567'));
    expect(one.member.phone).toMatch(/^\+1555•••4567$/);
    expect(two.to).toMatch(/•••0123$/);
    expect(two.part).toBe('telegram');
  });
});
