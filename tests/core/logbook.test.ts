import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, createMember, setupOwner } from '../members/helpers.js';

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
});
