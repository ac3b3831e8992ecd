import { afterEach, describe, expect, it } from 'vitest';
import { api, makeFamily } from '../gate/support.js';
import { startTgHub, type TgHub } from '../telegram/support.js';

describe('notification routes', () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('shows the owner everything and a member only their own; preferences by self or owner; ack', async () => {
    h = await startTgHub();
    const fam = await makeFamily(h.t.url, h.t.dataDir, [
      { username: 'ben', role: 'adult' },
      { username: 'cleo', role: 'child' },
    ]);
    const { olivia, ben, cleo } = fam as Record<string, (typeof fam)[string]>;
    const forBen = h.router.notify({ kind: 'brief.test', text: 'for Ben', audience: { members: [ben!.id] } });
    h.router.notify({ kind: 'brief.test', text: 'for Olivia', audience: { members: [olivia!.id] } });
    const asOwner = await api(h.t.url, olivia!, 'GET', '/notifications');
    expect(asOwner.status).toBe(200);
    expect(asOwner.body.notifications.map((n: { text: string }) => n.text).sort()).toEqual(['for Ben', 'for Olivia']);
    // Nobody is paired: the delivery says why it failed.
    expect(asOwner.body.notifications[0].deliveries[0]).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/no channel/) });
    const asBen = await api(h.t.url, ben!, 'GET', `/notifications?member_id=${olivia!.id}`);
    expect(asBen.body.notifications.map((n: { text: string }) => n.text)).toEqual(['for Ben']);
    expect((await api(h.t.url, cleo!, 'GET', `/notifications/${forBen.id}`)).status).toBe(404);
    expect((await api(h.t.url, null, 'GET', '/notifications')).status).toBe(401);

    const prefs = { channels: ['telegram'], min_severity: 'warning', muted_kinds: ['brief.'], quiet_hours: { start: '22:30', end: '06:45' } };
    expect((await api(h.t.url, ben!, 'PUT', `/members/${ben!.id}/notification-preferences`, prefs)).status).toBe(200);
    expect((await api(h.t.url, ben!, 'GET', `/members/${ben!.id}/notification-preferences`)).body).toEqual(prefs);
    expect((await api(h.t.url, ben!, 'PUT', `/members/${olivia!.id}/notification-preferences`, prefs)).status).toBe(403);
    expect((await api(h.t.url, olivia!, 'GET', `/members/${ben!.id}/notification-preferences`)).status).toBe(200);
    const bad = await api(h.t.url, ben!, 'PUT', `/members/${ben!.id}/notification-preferences`, { ...prefs, quiet_hours: { start: '25:00', end: '06:00' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    // Ben muted briefs and anything below warning: a new brief is not sent to him at all.
    const muted = h.router.notify({ kind: 'brief.test', severity: 'urgent', text: 'muted brief', audience: { members: [ben!.id] } });
    expect(muted.recipients).toEqual([]);

    const ack = await api(h.t.url, ben!, 'POST', `/notifications/${forBen.id}/ack`);
    expect(ack.body).toEqual({ acknowledged: true });
    expect(h.router.get(forBen.id)!.state).toBe('acknowledged');
    expect(h.t.hub.ctx.audit.list({ kind: 'notify.preferences.changed' }).entries).toHaveLength(1);
  });
});
