import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { waitMessage } from '../telegram/support.js';
import { api } from '../members/helpers.js';
import { ANN, BEN, MARY, attempts, callNow, createCheckin, settle, startPhoneHub, type PhoneHub } from './support.js';

/** Thursday 15 January 2026, 09:00 in London. */
const MORNING = Date.UTC(2026, 0, 15, 9, 0, 0);

async function usageOf(p: PhoneHub, memberId: string, kind: string): Promise<any> {
  const res = await api(p.h.t, 'GET', `/usage?member_id=${memberId}`, { cookie: p.cookie });
  expect(res.status).toBe(200);
  return res.body.usage.find((r: { kind: string }) => r.kind === kind);
}

/** One check-in call answered "1", ending after `seconds` (Twilio's CallDuration on the completed callback, sent twice). */
async function answeredCall(p: PhoneHub, checkinId: string, n: number, seconds: number): Promise<void> {
  await callNow(p, checkinId);
  const call = await p.tw.callTo(MARY, n);
  await p.tw.answer(call);
  await p.tw.gather(call, { Digits: '1' });
  await p.tw.status(call, 'completed', { CallDuration: String(seconds) });
  await p.tw.status(call, 'completed', { CallDuration: String(seconds) }); // a replay: counted once
}

describe('telephony spend: call minutes and SMS per member and month, with caps', () => {
  let p: PhoneHub | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  it('counts an elder’s call in (the number’s status callback) to the elder, once, and nothing for a stranger', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const url = `${p.h.t.url}/hooks/twilio/inbound`;
    const { call } = await p.tw.inbound(url, MARY, '+15559990000');
    call.statusCallback = `${url}/status`; // as set on the Twilio number ("call status changes")
    await p.tw.gather(call, { Digits: '1' });
    await p.tw.status(call, 'completed', { CallDuration: '130' });
    await p.tw.status(call, 'completed', { CallDuration: '130' }); // a replay: counted once
    expect(await usageOf(p, p.ids.mary, 'call_minutes')).toMatchObject({ used: 3 });
    const stranger = await p.tw.inbound(url, '+15551234567', '+15559990000');
    stranger.call.statusCallback = `${url}/status`;
    expect((await p.tw.status(stranger.call, 'completed', { CallDuration: '60' }))?.status).toBe(200);
    expect(await usageOf(p, p.ids.mary, 'call_minutes')).toMatchObject({ used: 3 });
    expect(p.h.t.hub.ctx.audit.list({ kind: 'twilio.inbound_refused' }).entries).toHaveLength(1);
  });

  it('counts call minutes from CallDuration (rounded up, replays once), tells the owner at 80 % once, and refuses a call over the cap', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock, { settings: { usage: { caps: { call_minutes: 10 } } } });
    const c = await createCheckin(p, { retries: 0 });
    await answeredCall(p, c.id, 1, 245); // 4 min 5 s → 5 minutes
    expect(await usageOf(p, p.ids.mary, 'call_minutes')).toMatchObject({ used: 5, cap: 10, refused: 0 });
    await answeredCall(p, c.id, 2, 200); // → 9 of 10: past 80 %
    await answeredCall(p, c.id, 3, 61); // → 11: past the cap (a call under way is never cut)
    expect(await usageOf(p, p.ids.mary, 'call_minutes')).toMatchObject({ used: 11, cap: 10, requests: 3 });
    const told = p.h.router.list().filter((n) => n.kind === 'usage.threshold');
    expect(told.map((n) => n.text).sort()).toEqual([
      "Mary has used 80 % of this month's call minutes (9 of 10).",
      "Mary has used all of this month's call minutes (11 of 10); further requests are refused until next month or a higher cap.",
    ]);
    // Over the cap: the next check-in call is not placed, and the refusal is counted.
    await callNow(p, c.id);
    expect(p.tw.calls.filter((x) => x.to === MARY)).toHaveLength(3);
    expect(await usageOf(p, p.ids.mary, 'call_minutes')).toMatchObject({ used: 11, refused: 1 });
    expect((await attempts(p, c.id))[0].calls[0]).toMatchObject({ sid: null, status: 'failed' });
  });

  it('a cap stops an ordinary alert by SMS and voice, never a help escalation', async () => {
    const clock = new ManualClock(MORNING);
    p = await startPhoneHub(clock);
    const { ann, ben } = p.ids;
    p.h.t.hub.ctx.settings.update({ usage: { member_caps: { [ann]: { sms: 0 }, [ben]: { call_minutes: 0 } } } }, 'test');
    // "help": Telegram to Ann, then an SMS to Ann and a call to Ben, both over their caps of 0, both go out and are counted.
    const help = await createCheckin(p, { retries: 0 });
    await callNow(p, help.id);
    const call = await p.tw.callTo(MARY);
    await p.tw.answer(call);
    await p.tw.gather(call, { Digits: '2' });
    await waitMessage(p.h.tg, 911, /Mary asked for help/);
    clock.advance(5 * 60_000);
    await p.h.router.tick();
    await p.tw.smsTo(ANN, /Mary asked for help/);
    clock.advance(5 * 60_000);
    await p.h.router.tick();
    const toBen = await p.tw.callTo(BEN);
    await p.tw.answer(toBen);
    await p.tw.gather(toBen, { Digits: '1' });
    await p.tw.status(toBen, 'completed', { CallDuration: '40' });
    expect(await usageOf(p, ann, 'sms')).toMatchObject({ used: 1, cap: 0, refused: 0 });
    expect(await usageOf(p, ben, 'call_minutes')).toMatchObject({ used: 1, cap: 0, refused: 0 });
    // A missed check-in (a warning): the same rungs are refused by the caps, and nothing is sent.
    await callNow(p, help.id);
    await p.tw.end(await p.tw.callTo(MARY, 2), 'no-answer');
    await waitMessage(p.h.tg, 911, /Mary did not answer/);
    clock.advance(5 * 60_000);
    await p.h.router.tick();
    clock.advance(5 * 60_000);
    await p.h.router.tick();
    await settle();
    expect(p.tw.messages.filter((m) => m.to === ANN)).toHaveLength(1);
    expect(p.tw.calls.filter((x) => x.to === BEN)).toHaveLength(1);
    expect(await usageOf(p, ann, 'sms')).toMatchObject({ used: 1, refused: 1 });
    expect(await usageOf(p, ben, 'call_minutes')).toMatchObject({ used: 1, refused: 1 });
  });
});
