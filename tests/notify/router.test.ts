import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { addMember, pair, registryOf, startTgHub, waitMessage, type TgHub } from '../telegram/support.js';

/** 2026-01-15 23:00 in London (UTC in winter). */
const NIGHT = Date.UTC(2026, 0, 15, 23, 0, 0);

describe('notification router', () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('holds a non-urgent alert in quiet hours and releases it after; an urgent one goes at once', async () => {
    const clock = new ManualClock(NIGHT);
    h = await startTgHub({ clock, settings: { hub: { timezone: 'Europe/London' }, notify: { door_open_minutes: 10 } } });
    const anna = await addMember(h, 'anna', 'owner');
    const user = h.tg.user(901, 'Anna');
    await pair(h, anna, user);
    h.router.preferences.set(anna.id, { quiet_hours: { start: '22:00', end: '07:00' } });
    const reg = registryOf(h.t);
    reg.upsert({ id: 'cover.garage_door', name: 'Garage door', domain: 'cover', state: 'open', source: 'test', attributes: { device_class: 'garage' } });
    clock.advance(11 * 60_000);
    const held = await h.tg.waitFor(() => h!.router.list().find((n) => n.kind === 'alert.door_open' && n.deliveries[0]?.status === 'held'), 'a held alert');
    expect(held.deliveries[0]!.release_at).toBe('2026-01-16T07:00:00.000Z');
    h.router.notify({ kind: 'alert.smoke', severity: 'urgent', text: 'Smoke in the kitchen!', audience: { members: [anna.id] } });
    await waitMessage(h.tg, 901, /Smoke in the kitchen/);
    expect(h.tg.sentTo(901).some((m) => /garage door has been open/i.test(m.text ?? ''))).toBe(false);
    clock.set(Date.UTC(2026, 0, 16, 6, 59, 0));
    await new Promise((r) => setTimeout(r, 150));
    expect(h.tg.sentTo(901).some((m) => /garage door has been open/i.test(m.text ?? ''))).toBe(false);
    clock.set(Date.UTC(2026, 0, 16, 7, 0, 0));
    const msg = await waitMessage(h.tg, 901, /The garage door has been open for 11 minutes/);
    expect(msg.reply_markup!.inline_keyboard.flat().map((b) => b.text)).toEqual(['Close it', 'Leave it']);
  });

  it('climbs the escalation ladder until someone takes it, then tells the others who did', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
    h = await startTgHub({ clock, settings: { notify: { escalation_ladder: ['role:owner', 'role:adult'], escalation_step_minutes: 5 } } });
    const olivia = await addMember(h, 'olivia', 'owner');
    const ben = await addMember(h, 'ben', 'adult');
    const o = h.tg.user(911, 'Olivia');
    const b = h.tg.user(912, 'Ben');
    await pair(h, olivia, o);
    await pair(h, ben, b);
    const { id } = h.router.notify({
      kind: 'alert.water_leak',
      severity: 'urgent',
      text: 'Water under the sink!',
      escalate: true,
      actions: [{ kind: 'ack', label: "I'm on it" }],
    });
    await waitMessage(h.tg, 911, /Water under the sink/);
    await new Promise((r) => setTimeout(r, 150));
    expect(h.tg.sentTo(912).some((m) => /Water/.test(m.text ?? ''))).toBe(false);
    clock.advance(5 * 60_000);
    const atBen = await waitMessage(h.tg, 912, /Water under the sink/);
    expect(h.t.hub.ctx.audit.list({ kind: 'notify.escalated' }).entries).toHaveLength(1);
    // Ben takes it with the button.
    const press = h.tg.press(b, atBen, atBen.reply_markup!.inline_keyboard[0]![0]!.callback_data!);
    await h.tg.waitFor(() => h!.tg.callbackAnswers.find((a) => a.callback_query_id === press), 'press answered');
    await waitMessage(h.tg, 911, /Ben took it/);
    expect(h.router.get(id)!.state).toBe('acknowledged');
    expect(h.router.get(id)!.ack_by).toBe(ben.id);
    clock.advance(30 * 60_000);
    await new Promise((r) => setTimeout(r, 150));
    expect(h.tg.sentTo(912).filter((m) => /Water under the sink/.test(m.text ?? ''))).toHaveLength(1);
    expect(h.tg.sentTo(911).filter((m) => /^Water under the sink/.test(m.text ?? ''))).toHaveLength(1);
  });

  it('climbs to another channel for the people already told (channel:<name> rung), then to the next person', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
    h = await startTgHub({ clock, settings: { notify: { escalation_ladder: ['role:owner', 'channel:sms', 'role:adult'], escalation_step_minutes: 5 } } });
    const olivia = await addMember(h, 'olivia', 'owner');
    const ben = await addMember(h, 'ben', 'adult');
    await pair(h, olivia, h.tg.user(931, 'Olivia'));
    await pair(h, ben, h.tg.user(932, 'Ben'));
    // A second channel as the telephony part will register one: it reaches whoever has a phone.
    const texts: { to: string; text: string }[] = [];
    h.router.registerChannel({
      name: 'sms',
      canReach: (m) => m.username === 'olivia',
      send: async (msg) => {
        texts.push({ to: msg.member.username, text: msg.text });
        return { message_ref: `sms-${texts.length}` };
      },
    });
    const { id } = h.router.notify({
      kind: 'alert.smoke',
      severity: 'urgent',
      text: 'Smoke in the hall!',
      escalate: true,
      actions: [{ kind: 'ack', label: "I'm on it" }],
    });
    await waitMessage(h.tg, 931, /Smoke in the hall/);
    expect(texts).toEqual([]);
    clock.advance(5 * 60_000);
    await h.tg.waitFor(() => texts.length > 0 || undefined, 'the SMS to Olivia');
    expect(texts).toEqual([{ to: 'olivia', text: 'Smoke in the hall!' }]);
    await new Promise((r) => setTimeout(r, 150));
    expect(h.tg.sentTo(932).some((m) => /Smoke/.test(m.text ?? ''))).toBe(false); // Ben not yet
    clock.advance(5 * 60_000);
    await waitMessage(h.tg, 932, /Smoke in the hall/);
    const rungs = h.t.hub.ctx.audit
      .list({ kind: 'notify.escalated' })
      .entries.map((e) => e.data.rung)
      .reverse();
    expect(rungs).toEqual(['channel:sms', 'role:adult']);
    expect(
      h.router
        .get(id)!
        .deliveries.map((d) => `${d.channel}:${d.member_id === olivia.id ? 'olivia' : 'ben'}`)
        .sort(),
    ).toEqual(['sms:olivia', 'telegram:ben', 'telegram:olivia']);
    h.router.acknowledge({ id }, ben.id, 'telegram');
    clock.advance(30 * 60_000);
    await new Promise((r) => setTimeout(r, 150));
    expect(texts).toHaveLength(1);
  });

  it('delivers every notification exactly once after the Bot API was down for a while', async () => {
    h = await startTgHub();
    const anna = await addMember(h, 'anna', 'owner');
    const ben = await addMember(h, 'ben', 'adult');
    await pair(h, anna, h.tg.user(921, 'Anna'));
    await pair(h, ben, h.tg.user(922, 'Ben'));
    h.tg.down();
    const ids = Array.from(
      { length: 10 },
      (_, i) => h!.router.notify({ kind: 'brief.test', text: `message ${i}`, audience: { roles: ['owner', 'adult'] } }).id,
    );
    await h.tg.waitFor(
      () => h!.router.list().every((n) => n.deliveries.every((d) => d.attempts >= 2 && d.status === 'queued')) || undefined,
      'failed attempts while down',
    );
    expect(h.router.health().status).toBe('degraded');
    h.tg.up();
    await h.tg.waitFor(() => ids.every((id) => h!.router.get(id)!.deliveries.every((d) => d.status === 'delivered')) || undefined, 'all delivered', 15_000);
    for (const chat of [921, 922]) {
      for (let i = 0; i < 10; i++) expect(h.tg.sentTo(chat).filter((m) => m.text === `message ${i}`)).toHaveLength(1);
    }
  });

  it('respects retry_after on a 429 from the Bot API', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
    h = await startTgHub({ clock });
    const anna = await addMember(h, 'anna', 'owner');
    await pair(h, anna, h.tg.user(931, 'Anna'));
    h.tg.fail('sendMessage', 1, 429, 'Too Many Requests: retry after 7', 7);
    const { id } = h.router.notify({ kind: 'brief.test', text: 'after the limit', audience: { members: [anna.id] } });
    const d = await h.tg.waitFor(() => h!.router.get(id)!.deliveries.find((x) => x.attempts === 1 && x.status === 'queued'), 'first attempt refused');
    expect(d.next_attempt_at).toBe(new Date(clock.now() + 7000).toISOString());
    expect(d.last_error).toMatch(/429/);
    clock.advance(6_999);
    await new Promise((r) => setTimeout(r, 150));
    expect(h.tg.sentTo(931).some((m) => m.text === 'after the limit')).toBe(false);
    clock.advance(1);
    await waitMessage(h.tg, 931, /^after the limit$/);
    await h.tg.waitFor(() => h!.router.get(id)!.deliveries[0]!.status === 'delivered' || undefined, 'delivered');
    expect(h.tg.callsOf('sendMessage').filter((c) => c.params.text === 'after the limit')).toHaveLength(2);
  });

  it('de-duplicates a flapping alert into one message with a count, and rate limits per person', async () => {
    h = await startTgHub({ settings: { notify: { per_member_burst: 3, per_member_per_minute: 1 } } });
    const anna = await addMember(h, 'anna', 'owner');
    await pair(h, anna, h.tg.user(941, 'Anna'));
    const first = h.router.notify({ kind: 'alert.flap', text: 'Back door opened', dedup_key: 'flap:back_door', audience: { members: [anna.id] } });
    for (let i = 0; i < 49; i++)
      expect(h.router.notify({ kind: 'alert.flap', text: 'Back door opened', dedup_key: 'flap:back_door', audience: { members: [anna.id] } })).toMatchObject({
        id: first.id,
        deduplicated: true,
      });
    await waitMessage(h.tg, 941, /Back door opened/);
    expect(h.router.get(first.id)!.count).toBe(50);
    for (let i = 0; i < 6; i++) h.router.notify({ kind: 'brief.test', text: `distinct ${i}`, audience: { members: [anna.id] } });
    await h.tg.waitFor(() => h!.tg.sentTo(941).filter((m) => /distinct/.test(m.text ?? '')).length >= 2 || undefined, 'some sent');
    await new Promise((r) => setTimeout(r, 200));
    // burst 3 per person and channel (one spent on the flap alert): the rest wait their turn, none is lost.
    expect(h.tg.sentTo(941).filter((m) => /Back door opened/.test(m.text ?? ''))).toHaveLength(1);
    expect(h.tg.sentTo(941).filter((m) => /distinct/.test(m.text ?? '')).length).toBe(2);
    expect(h.router.list().filter((n) => n.kind === 'brief.test' && n.deliveries[0]!.status === 'queued')).toHaveLength(4);
  });
});
