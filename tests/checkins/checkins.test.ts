import { afterEach, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { ManualClock } from '../../src/core/clock.js';
import { said } from '../fakes/twilio.js';
import { waitMessage } from '../telegram/support.js';
import { api } from '../members/helpers.js';
import { ANN, BEN, MARY, attempts, callNow, createCheckin, settle, startPhoneHub, type PhoneHub } from './support.js';

/** Thursday 15 January 2026, 09:00 in London (UTC in winter). */
const MORNING = Date.UTC(2026, 0, 15, 9, 0, 0);

describe("elders' check-in calls", () => {
  let p: PhoneHub | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  it('calls at the scheduled time in the home time zone; "1" ends it', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const c = await createCheckin(p, { times: ['09:30'] });
    expect(c.next_due_at).toBe('2026-01-15T09:30:00.000Z');
    await p.pass();
    expect(p.tw.calls).toHaveLength(0);
    clock.set(Date.UTC(2026, 0, 15, 9, 30, 0));
    await p.pass();
    const call = await p.tw.callTo(MARY);
    expect(call.timeout).toBeGreaterThanOrEqual(25);
    expect(call.timeout).toBeLessThanOrEqual(30);
    expect(call.machineDetection).toBe('DetectMessageEnd');
    expect(call.statusCallbackEvents).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    const greeting = await p.tw.answer(call);
    expect(said(greeting)).toMatch(/Hello Mary/);
    expect(greeting).toMatch(/<Gather[^>]*input="speech dtmf"/);
    expect(said(await p.tw.gather(call, { Digits: '1' }))).toMatch(/Thank you/);
    await p.tw.end(call, 'completed');
    const [a] = await attempts(p, c.id);
    expect(a).toMatchObject({ state: 'done', outcome: 'ok', calls: [{ sid: call.sid, digits: '1', outcome: 'ok' }] });
    expect((await api(p.h.t, 'GET', `/checkins/${c.id}`, { cookie: p.cookie })).body.next_due_at).toBe('2026-01-16T09:30:00.000Z');
    await settle();
    expect(p.h.tg.sentTo(911).some((m) => /Mary/.test(m.text ?? ''))).toBe(false);
  });

  it('"help" (said, after one unclear answer) tells the family at once, even in their quiet hours', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 6, 0, 0));
    p = await startPhoneHub(clock);
    p.h.router.preferences.set(p.ids.ann, { quiet_hours: { start: '22:00', end: '08:00' } });
    const c = await createCheckin(p);
    await callNow(p, c.id);
    const call = await p.tw.callTo(MARY);
    await p.tw.answer(call);
    expect(said(await p.tw.gather(call, { SpeechResult: 'the weather is lovely' }))).toMatch(/didn't catch that/);
    expect(said(await p.tw.gather(call, { SpeechResult: 'I fell and I cannot get up' }))).toMatch(/telling your family/);
    const msg = await waitMessage(p.h.tg, 911, /Mary asked for help/);
    expect(msg.text).toMatch(/I fell and I cannot get up/);
    expect(msg.reply_markup!.inline_keyboard.flat().map((b) => b.text)).toEqual(["I'll call Mary"]);
    const [a] = await attempts(p, c.id);
    expect(a).toMatchObject({ state: 'escalated', outcome: 'help', said: 'I fell and I cannot get up', escalation: { kind: 'help' } });
  });

  it('no answer twice → Ann on Telegram → SMS → a call to Ben, whose "1" stops it for everyone; Mary reached later → all clear', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const c = await createCheckin(p, { retries: 1, retry_after_min: 5 });
    await callNow(p, c.id);
    await p.tw.end(await p.tw.callTo(MARY, 1), 'no-answer');
    expect((await attempts(p, c.id))[0]).toMatchObject({ state: 'waiting', outcome: 'no_answer' });
    clock.advance(4 * 60_000);
    await p.pass();
    expect(p.tw.calls).toHaveLength(1);
    clock.advance(60_000);
    await p.pass();
    await p.tw.end(await p.tw.callTo(MARY, 2), 'busy');
    const first = await waitMessage(p.h.tg, 911, /Mary did not answer the check-in call/);
    expect(first.text).toMatch(/2 tries; last: line busy/);
    expect(p.tw.messages).toHaveLength(0);
    clock.advance(5 * 60_000); // the router's next rung: an SMS to Ann
    await p.h.router.tick();
    expect((await p.tw.smsTo(ANN, /Mary did not answer/)).body).toMatch(/Please check on Mary/);
    clock.advance(5 * 60_000); // then a call to Ben
    await p.h.router.tick();
    const toBen = await p.tw.callTo(BEN);
    const read = said(await p.tw.answer(toBen));
    expect(read).toMatch(/Mary did not answer/);
    expect(read).toMatch(/Press 1 to say you'll handle it/);
    expect(said(await p.tw.gather(toBen, { Digits: '1' }))).toMatch(/Everyone has been told/);
    await waitMessage(p.h.tg, 911, /Ben took it/);
    const [a] = await attempts(p, c.id);
    expect(a.escalation).toMatchObject({ state: 'acknowledged', ack_by: p.ids.ben });
    clock.advance(30 * 60_000);
    await p.h.router.tick();
    expect(p.tw.calls.filter((x) => x.to === BEN)).toHaveLength(1);
    // Mary answers a later call: everyone alerted hears "all clear".
    await callNow(p, c.id);
    const later = await p.tw.callTo(MARY, 3);
    await p.tw.answer(later);
    await p.tw.gather(later, { Digits: '1' });
    await waitMessage(p.h.tg, 911, /All clear: Mary answered the check-in call and is fine/);
    await p.tw.smsTo(BEN, /All clear/);
  });

  it('an answering machine is never "fine": a short message is left, and it counts as a machine', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const c = await createCheckin(p, { retries: 0 });
    await callNow(p, c.id);
    const call = await p.tw.callTo(MARY);
    await p.tw.answer(call);
    await p.tw.amd(call, 'machine_end_beep');
    await p.tw.waitFor(() => call.updates[0], 'the message for the machine');
    expect(said(call.updates[0]!)).toMatch(/check-in call/);
    await p.tw.gather(call, { SpeechResult: "Hi, I'm fine, leave a message" });
    await p.tw.end(call, 'completed');
    const [a] = await attempts(p, c.id);
    expect(a).toMatchObject({ outcome: 'machine', state: 'escalated', calls: [{ answered_by: 'machine_end_beep', outcome: 'machine' }] });
    await waitMessage(p.h.tg, 911, /last: answering machine/);
  });

  it('refuses a forged signature (403) and acts once on a replay', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const c = await createCheckin(p);
    await callNow(p, c.id);
    const call = await p.tw.callTo(MARY);
    await p.tw.answer(call);
    const action = `${p.h.t.url}/hooks/twilio/checkin/${(await attempts(p, c.id))[0].id}/gather/1`;
    const params = { AccountSid: p.tw.accountSid, CallSid: call.sid, From: '+15559990000', To: MARY, CallStatus: 'in-progress', Digits: '2' };
    p.tw.signWith = 'f'.repeat(32);
    expect((await p.tw.post(action, params)).status).toBe(403);
    p.tw.signWith = undefined;
    // Signed for another URL, or with a changed body: refused (the exact URL and every field are signed).
    const signature = twilio.getExpectedTwilioSignature(p.tw.authToken, `${action}?x=1`, params);
    const post = (body: Record<string, string>) =>
      fetch(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(body),
      });
    expect((await post(params)).status).toBe(403);
    expect((await post({ ...params, Digits: '1' })).status).toBe(403);
    const once = await p.tw.post(action, params, 'token-1-0000-0000-0000-000000000000');
    const again = await p.tw.post(action, params, 'token-1-0000-0000-0000-000000000000');
    const sameStep = await p.tw.post(action, params, 'token-2-0000-0000-0000-000000000000');
    expect(once.status).toBe(200);
    expect(again.body).toBe(once.body);
    expect(sameStep.body).toBe(once.body);
    await waitMessage(p.h.tg, 911, /Mary asked for help/);
    await settle(150);
    expect(p.h.router.list().filter((n) => n.kind === 'checkin.help')).toHaveLength(1);
    expect((await p.tw.post(action, { ...params, AccountSid: 'not-an-account' }, 'token-3-0000-0000-0000-000000000000')).status).toBe(400); // signed, but not a Twilio body (zod)
  });

  it('a restart mid-ladder resumes the next try at its time, with no call repeated or lost', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const { tw, h } = p;
    const dataDir = h.t.dataDir;
    const c = await createCheckin(p, { retries: 1, retry_after_min: 5 });
    await callNow(p, c.id);
    await tw.end(await tw.callTo(MARY, 1), 'no-answer');
    await h.t.hub.stop();
    const p2 = await startPhoneHub(clock, { dataDir, tw, tg: h.tg, fresh: false });
    p = {
      ...p2,
      cookie: p.cookie,
      ids: p.ids,
      stop: async () => {
        await p2.stop();
        await tw.stop();
        await h.tg.stop();
      },
    };
    await p.pass();
    expect(tw.calls).toHaveLength(1);
    clock.advance(5 * 60_000);
    await p.pass();
    await p.pass();
    expect(tw.calls).toHaveLength(2);
    await tw.end(tw.calls[1]!, 'no-answer');
    await waitMessage(p.h.tg, 911, /Mary did not answer/);
    expect(p.h.router.list().filter((n) => n.kind === 'checkin.missed')).toHaveLength(1);
  });

  it('inbound: Mary presses 1 to say she is fine; an unknown number is refused and audited', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const url = `${p.h.t.url}/hooks/twilio/inbound`;
    const { call, twiml } = await p.tw.inbound(url, MARY, '+15559990000');
    expect(said(twiml)).toMatch(/press 1 to tell the family you're fine/i);
    expect(said(await p.tw.gather(call, { Digits: '1' }))).toMatch(/told the family/);
    const stranger = await p.tw.inbound(url, '+15551234567', '+15559990000');
    expect(said(stranger.twiml)).toMatch(/only takes calls from people in the household/);
    expect(p.h.t.hub.ctx.audit.list({ kind: 'twilio.inbound_refused' }).entries).toHaveLength(1);
  });

  it('validates the API: unknown members, missing phone, bad times', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const bad = await api(p.h.t, 'POST', '/checkins', { cookie: p.cookie, body: { member_id: p.ids.mary, times: ['25:00'], escalate_to: [p.ids.ann] } });
    expect(bad.status).toBe(400);
    const unknown = await api(p.h.t, 'POST', '/checkins', { cookie: p.cookie, body: { member_id: p.ids.mary, times: ['09:00'], escalate_to: ['nobody'] } });
    expect(unknown.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'escalate_to' });
    const c = await createCheckin(p);
    const patched = await api(p.h.t, 'PATCH', `/checkins/${c.id}`, { cookie: p.cookie, body: { times: ['08:15'], days: ['fri'] } });
    expect(patched.body.next_due_at).toBe('2026-01-16T08:15:00.000Z');
    expect((await api(p.h.t, 'DELETE', `/checkins/${c.id}`, { cookie: p.cookie })).status).toBe(204);
    expect((await api(p.h.t, 'GET', `/checkins/${c.id}`, { cookie: p.cookie })).status).toBe(404);
  });
});
