import { afterEach, describe, expect, it } from 'vitest';
import { addMember, lastTo, pair, registryOf, startTgHub, waitMessage, type TgHub } from './support.js';

describe('Telegram bot', () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('pairs a member with /start <code>, and refuses a wrong code', async () => {
    h = await startTgHub();
    const anna = await addMember(h, 'anna', 'adult');
    const user = h.tg.user(501, 'Anna');
    h.tg.say(user, '/start WRONGCODE');
    await waitMessage(h.tg, 501, /did not work/);
    expect(h.members.get(anna.id)!.telegram_user_id).toBeNull();
    const paired = await pair(h, anna, user);
    expect(paired.telegram_user_id).toBe(501);
    expect(lastTo(h.tg, 501)!.text).toMatch(/Hello Anna/);
    expect(h.members.byTelegramUserId(501)?.id).toBe(anna.id);
    // The token never reaches a log line.
    expect(h.t.logs.raw.join('\n')).not.toContain(h.tg.token);
  });

  it('gives an unbound user one polite refusal at most, audits them, and never parses their text', async () => {
    h = await startTgHub();
    const stranger = h.tg.user(666, 'Mallory');
    for (const text of ['hello?', 'unlock the front door', '/status', 'is the garage open?']) h.tg.say(stranger, text);
    await waitMessage(h.tg, 666, /only talk to the people of this home/);
    await h.tg.waitFor(() => h!.tg.pendingUpdates === 0 || undefined, 'updates consumed');
    await new Promise((r) => setTimeout(r, 200));
    const sent = h.tg.sentTo(666);
    expect(sent).toHaveLength(1);
    const audit = h.t.hub.ctx.audit.list({ kind: 'telegram.unbound_message' }).entries;
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(audit.length).toBeLessThanOrEqual(3); // rate limited per user
    expect(audit[0]!.data.telegram_user_id).toBe(666);
    // Nothing was asked of the gate on their behalf.
    expect(h.t.hub.ctx.audit.list({ kind: 'action.*' }).entries).toHaveLength(0);
  });

  it('answers button presses with garbage or forged data, and changes nothing', async () => {
    h = await startTgHub();
    const anna = await addMember(h, 'anna', 'owner');
    const user = h.tg.user(502, 'Anna');
    await pair(h, anna, user);
    const msg = lastTo(h.tg, 502)!;
    const ids = [
      h.tg.press(user, msg, 'garbage'),
      h.tg.press(user, msg, 'a:apr_doesnotexist:y:AAAAAAAAAA'),
      h.tg.press(user, msg, 'n:ntf_x:0:BBBBBBBBBB'),
      h.tg.press(user, msg, ''),
    ];
    h.tg.pushRaw({ callback_query: { id: 'no-data', from: user, chat_instance: 'x' } });
    await h.tg.waitFor(
      () =>
        ids.every((id) => h!.tg.callbackAnswers.some((a) => a.callback_query_id === id)) &&
        h!.tg.callbackAnswers.some((a) => a.callback_query_id === 'no-data'),
      'every press answered',
    );
    expect(h.tg.callbackAnswers.find((a) => a.callback_query_id === ids[1])!.text).toMatch(/does not work/);
    expect(h.t.hub.ctx.audit.list({ kind: 'approval.*' }).entries).toHaveLength(0);
  });

  it('survives unexpected updates: wrong shapes, edited messages, stickers, huge texts, groups', async () => {
    h = await startTgHub();
    const anna = await addMember(h, 'anna', 'adult');
    const user = h.tg.user(503, 'Anna');
    await pair(h, anna, user);
    h.tg.pushRaw({ message: { message_id: 'x', chat: null } });
    h.tg.pushRaw({ edited_message: { message_id: 9, from: user, chat: { id: 503, type: 'private' }, date: 1, text: 'unlock the front door' } });
    h.tg.pushRaw({ message: { message_id: 10, from: user, chat: { id: 503, type: 'private' }, date: 1, sticker: { file_id: 'abc' } } });
    h.tg.pushRaw({ message: { message_id: 11, from: user, chat: { id: -100, type: 'group' }, date: 1, text: 'hello group' } });
    h.tg.pushRaw({ weird_update: { a: 1 } });
    h.tg.say(user, `turn off ${'the kitchen light '.repeat(500)}`);
    await waitMessage(h.tg, 503, /too long/);
    await waitMessage(h.tg, 503, /only read text/);
    h.tg.say(user, '/help');
    await waitMessage(h.tg, 503, /Commands: \/status/);
    expect(h.tg.sentTo(-100)).toHaveLength(0);
  });

  it('answers questions from the registry and lists devices and status', async () => {
    h = await startTgHub();
    const reg = registryOf(h.t);
    reg.upsert({ id: 'cover.garage_door', name: 'Garage door', domain: 'cover', state: 'open', source: 'test', attributes: { device_class: 'garage' } });
    reg.upsert({ id: 'lock.front_door', name: 'Front door', domain: 'lock', state: 'locked', source: 'test' });
    const anna = await addMember(h, 'anna', 'adult');
    const user = h.tg.user(504, 'Anna');
    await pair(h, anna, user);
    h.tg.say(user, 'Is the garage open?');
    await waitMessage(h.tg, 504, /^Yes, the garage door is open\.$/);
    h.tg.say(user, 'are all the doors locked?');
    await waitMessage(h.tg, 504, /^Yes, the front door is locked\.$/);
    h.tg.say(user, '/status');
    await waitMessage(h.tg, 504, /Front door: locked[\s\S]*Garage door: open/);
    h.tg.say(user, '/devices');
    await waitMessage(h.tg, 504, /• Garage door: open/);
    h.tg.say(user, 'what is the meaning of life');
    await waitMessage(h.tg, 504, /didn't understand/);
  });

  it('rate limits a flood from one chat', async () => {
    h = await startTgHub({ settings: { telegram: { messages_per_minute: 6 } } });
    const anna = await addMember(h, 'anna', 'adult');
    const user = h.tg.user(505, 'Anna');
    await pair(h, anna, user);
    const before = h.tg.sentTo(505).length;
    for (let i = 0; i < 40; i++) h.tg.say(user, '/help');
    await h.tg.waitFor(() => h!.tg.pendingUpdates === 0 || undefined, 'updates consumed');
    await new Promise((r) => setTimeout(r, 300));
    const replies = h.tg.sentTo(505).length - before;
    expect(replies).toBeGreaterThan(0);
    expect(replies).toBeLessThan(10);
    expect(h.t.hub.ctx.audit.list({ kind: 'telegram.rate_limited' }).entries.length).toBe(1);
  });
});
