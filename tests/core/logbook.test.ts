import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, createMember, setupOwner } from '../members/helpers.js';
import { logsForSupport } from '../../src/health/logbook.js';

describe('the log book (Health → Logs)', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('keeps warnings and errors, not info, with secrets redacted; the owner filters them, others may not read them', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const log = t.hub.ctx.log.child({ part: 'devices' });
    log.info('an ordinary day');
    log.warn({ token: 'tok-9d8e7f6a' }, 'the kitchen plug keeps reconnecting');
    t.hub.ctx.log.child({ part: 'link' }).error({ password: 'hunter2-long' }, 'the cloud link refused our login');

    const all = await api(t, 'GET', '/health/logs', { cookie: owner });
    expect(all.status).toBe(200);
    const msgs = all.body.entries.map((e: { msg: string }) => e.msg);
    expect(msgs).toContain('the kitchen plug keeps reconnecting');
    expect(msgs).toContain('the cloud link refused our login');
    expect(msgs).not.toContain('an ordinary day');
    expect(JSON.stringify(all.body)).not.toMatch(/tok-9d8e7f6a|hunter2-long/);

    const errors = await api(t, 'GET', '/health/logs?level=error', { cookie: owner });
    expect(errors.body.entries.map((e: { msg: string; part: string }) => [e.part, e.msg])).toEqual([['link', 'the cloud link refused our login']]);
    const found = await api(t, 'GET', '/health/logs?q=kitchen%20plug', { cookie: owner });
    expect(found.body.entries).toHaveLength(1);
    expect(found.body.entries[0]).toMatchObject({ level: 'warn', part: 'devices' });
    // Wildcards in the search are taken literally.
    expect((await api(t, 'GET', '/health/logs?q=%25', { cookie: owner })).body.entries).toHaveLength(0);

    await createMember(t, owner, { username: 'kid', display_name: 'Kid', role: 'child', password: 'long enough secret' });
    const kidLogin = await api(t, 'POST', '/auth/login', { body: { username: 'kid', password: 'long enough secret' } });
    const kid = kidLogin.headers
      .getSetCookie()
      .find((c) => c.startsWith('hearth_session='))!
      .split(';')[0]!;
    expect((await api(t, 'GET', '/health/logs', { cookie: kid })).status).toBe(403);
    expect((await api(t, 'GET', '/health/logs?level=debug', { cookie: owner })).status).toBe(400);
  });

  it('pages back with next_before, keeps at most 300 a minute, and stays within its row cap', async () => {
    const clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
    t = await startTestHub({ clock, settings: { retention: { log_rows: 1000 } } });
    const owner = await setupOwner(t);
    const log = t.hub.ctx.log.child({ part: 'test' });
    for (let i = 0; i < 250; i++) log.warn(`warning ${i}`);
    const seen: string[] = [];
    let before: number | null | undefined;
    do {
      const page = await api(t, 'GET', `/health/logs?limit=100${before ? `&before=${before}` : ''}`, { cookie: owner });
      seen.push(...page.body.entries.map((e: { msg: string }) => e.msg));
      before = page.body.next_before;
    } while (before);
    expect(seen.filter((m) => m.startsWith('warning '))).toHaveLength(250);
    expect(seen[0]).toBe('warning 249');

    const count = () => (t!.hub.ctx.store.telemetry.prepare("SELECT COUNT(*) AS n FROM log_entries WHERE msg LIKE 'more %'").get() as { n: number }).n;
    for (let i = 0; i < 400; i++) log.warn(`more ${i}`); // a flood within the same minute
    expect(count()).toBe(50); // 300 a minute: 250 + 50
    expect((await api(t, 'GET', '/health/logs?limit=1', { cookie: owner })).body.dropped).toBe(350);

    for (let minute = 1; minute <= 5; minute++) {
      clock.advance(61_000);
      for (let i = 0; i < 300; i++) log.warn(`more ${minute}-${i}`);
    }
    const rows = (t.hub.ctx.store.telemetry.prepare('SELECT COUNT(*) AS n FROM log_entries').get() as { n: number }).n;
    expect(rows).toBeLessThanOrEqual(1000 + 500); // pruned to the cap every 500 inserts
    expect(rows).toBeGreaterThanOrEqual(1000);
    const newest = await api(t, 'GET', '/health/logs?limit=1', { cookie: owner });
    expect(newest.body.entries[0].msg).toBe('more 5-299');
  });

  it('hands support diagnostics a filtered, bounded page with secrets quoted in a message taken out', async () => {
    const haToken = 'ha-long-lived-0123456789abcdefXYZ';
    t = await startTestHub({ settings: { homeassistant: { url: 'http://127.0.0.1:1', token: haToken } } });
    const log = t.hub.ctx.log.child({ part: 'devices' });
    // The logger redacts keys named like secrets; a token pasted into the message text is not a key.
    log.warn(`Home Assistant refused the token ${haToken}`);
    log.warn('the bot answered 401 for 123456789:AAHk3v0aXyZ-abcdefghijklmnopqrstu');
    log.error({ port: 8123 }, 'Home Assistant is unreachable on port 8123');
    t.hub.ctx.log.child({ part: 'link' }).warn('the cloud link is slow');

    const all = logsForSupport(t.hub.ctx);
    const text = JSON.stringify(all);
    expect(all.entries.map((e) => e.msg)).toEqual(
      expect.arrayContaining([
        'Home Assistant refused the token [removed]',
        'the bot answered 401 for [removed]',
        'Home Assistant is unreachable on port 8123',
      ]),
    );
    expect(text).not.toContain(haToken);
    expect(text).not.toContain('AAHk3v0aXyZ');
    expect(all.truncated).toBe(false);
    // Filtered as the engineer asks: by part, by level, by words.
    expect(logsForSupport(t.hub.ctx, { part: 'link' }).entries.map((e) => e.msg)).toEqual(['the cloud link is slow']);
    expect(logsForSupport(t.hub.ctx, { level: 'error' }).entries.map((e) => e.msg)).toEqual(['Home Assistant is unreachable on port 8123']);
    expect(logsForSupport(t.hub.ctx, { q: 'refused' }).entries).toHaveLength(1);
    // Bounded: a week of warnings does not become a megabyte answer over the link.
    for (let i = 0; i < 200; i++) log.warn(`the kitchen plug keeps reconnecting (${i}) ${'x'.repeat(300)}`);
    const big = logsForSupport(t.hub.ctx);
    expect(big.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(big.entries))).toBeLessThanOrEqual(64 * 1024);
    expect(big.entries[0]!.msg).toMatch(/\(199\)/); // newest first
  });
});
