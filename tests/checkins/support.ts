import { FakeTwilio, type FakeCall } from '../fakes/twilio.js';
import { FakeTelegram } from '../fakes/telegram-bot-api.js';
import { startTgHub, pair, type TgHub } from '../telegram/support.js';
import { api, createMember, setupOwner } from '../members/helpers.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { CheckinEngine } from '../../src/checkins/engine.js';

export const MARY = '+15550000001';
export const ANN = '+15550000003';
export const BEN = '+15550000002';

export interface PhoneHub {
  h: TgHub;
  tw: FakeTwilio;
  engine: CheckinEngine;
  cookie: string;
  ids: { mary: string; ann: string; ben: string };
  /** Runs one engine pass and lets the router send. */
  pass(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real hub with the twilio library pointed at the fake Twilio (twilio.api_root) and grammY at
 * the fake Bot API. Mary is the elder; Ann (adult, on Telegram, with a phone) and Ben (adult,
 * phone only) are the family, escalated to in that order.
 */
export async function startPhoneHub(
  clock: ManualClock,
  options: { dataDir?: string; tw?: FakeTwilio; tg?: FakeTelegram; settings?: Record<string, unknown>; fresh?: boolean } = {},
): Promise<PhoneHub> {
  const tw = options.tw ?? (await new FakeTwilio().start());
  const h = await startTgHub({
    clock,
    dataDir: options.dataDir,
    tg: options.tg,
    settings: {
      hub: { timezone: 'Europe/London' },
      twilio: { account_sid: tw.accountSid, auth_token: tw.authToken, from: '+15559990000', api_root: tw.apiRoot },
      ...options.settings,
    },
  });
  h.t.hub.ctx.settings.update({ twilio: { public_url: h.t.url } }, 'test');
  const engine = h.t.hub.services.get<CheckinEngine>('checkins')!;
  let cookie = '';
  let ids = { mary: '', ann: '', ben: '' };
  if (options.fresh !== false) {
    cookie = await setupOwner(h.t);
    const mary = await createMember(h.t, cookie, { username: 'mary', display_name: 'Mary', role: 'elder', phone: MARY, password: 'mary long password' });
    const ann = await createMember(h.t, cookie, { username: 'ann', display_name: 'Ann', role: 'adult', phone: ANN, password: 'ann long password' });
    const ben = await createMember(h.t, cookie, { username: 'ben', display_name: 'Ben', role: 'adult', phone: BEN, password: 'ben long password' });
    await pair(h, h.members.get(ann.id)!, h.tg.user(911, 'Ann'));
    ids = { mary: mary.id, ann: ann.id, ben: ben.id };
  }
  return {
    h,
    tw,
    engine,
    cookie,
    ids,
    pass: async () => {
      await engine.tick();
      await h.router.tick();
    },
    stop: async () => {
      await h.stop();
      if (!options.tw) await tw.stop();
    },
  };
}

export async function createCheckin(p: PhoneHub, body: Record<string, unknown> = {}): Promise<{ id: string; next_due_at: string }> {
  const res = await api(p.h.t, 'POST', '/checkins', {
    cookie: p.cookie,
    body: { member_id: p.ids.mary, times: ['09:30'], escalate_to: [p.ids.ann, p.ids.ben], ...body },
  });
  if (res.status !== 201) throw new Error(`create check-in: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function callNow(p: PhoneHub, checkinId: string): Promise<string> {
  const res = await api(p.h.t, 'POST', `/checkins/${checkinId}/call`, { cookie: p.cookie });
  if (res.status !== 202) throw new Error(`call now: ${res.status}`);
  await p.pass();
  return res.body.attempt_id;
}

export async function attempts(p: PhoneHub, checkinId: string): Promise<any[]> {
  return (await api(p.h.t, 'GET', `/checkins/${checkinId}/attempts`, { cookie: p.cookie })).body;
}

/** Waits until the work after a webhook (REST calls, router sends) is done. */
export const settle = (ms = 60): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type { FakeCall };
