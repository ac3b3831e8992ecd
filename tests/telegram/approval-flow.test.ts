import { afterEach, describe, expect, it } from 'vitest';
import { addMember, lastTo, pair, registryOf, startTgHub, waitMessage, type TgHub } from './support.js';

/**
 * End to end against the demo home: an adult asks on Telegram, the owner approves with a
 * button and a PIN, the demo lock unlocks, and both are told.
 */
describe('approval from Telegram, end to end', () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('"unlock the front door" from an adult → Approve at the owner → PIN → the lock opens → both told', async () => {
    h = await startTgHub({ demo: true, settings: { policy: { step_up_channels: ['web', 'api', 'telegram'] } } });
    const reg = registryOf(h.t);
    await h.tg.waitFor(() => reg.get('lock.demo_front_door')?.state === 'locked' || undefined, 'the demo lock');
    const olivia = await addMember(h, 'olivia', 'owner', '2468');
    const ben = await addMember(h, 'ben', 'adult', '1357');
    const oUser = h.tg.user(801, 'Olivia');
    const bUser = h.tg.user(802, 'Ben');
    await pair(h, olivia, oUser);
    await pair(h, ben, bUser);

    h.tg.say(bUser, 'Please unlock the front door');
    await waitMessage(h.tg, 802, /Waiting for approval from Olivia/);
    const request = await waitMessage(h.tg, 801, /Ben asks to unlock the .*front door/i);
    expect(request.text).toMatch(/Risk: high/);
    expect(request.text).toMatch(/Expires in \d+ minutes/);
    const buttons = request.reply_markup!.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(['Approve', 'Deny']);
    // Ben cannot approve his own request, even with the owner's button data.
    const benPress = h.tg.press(bUser, request, buttons[0]!.callback_data!);
    await h.tg.waitFor(() => h!.tg.callbackAnswers.find((a) => a.callback_query_id === benPress), 'Ben answered');
    expect(h.tg.callbackAnswers.find((a) => a.callback_query_id === benPress)!.text).toMatch(/cannot decide/);

    const press = h.tg.press(oUser, request, buttons[0]!.callback_data!);
    await h.tg.waitFor(() => h!.tg.callbackAnswers.find((a) => a.callback_query_id === press), 'Olivia answered');
    await waitMessage(h.tg, 801, /reply with your PIN/);
    h.tg.say(oUser, '2468');
    await h.tg.waitFor(() => reg.get('lock.demo_front_door')?.state === 'unlocked' || undefined, 'the lock unlocked', 15_000);
    await waitMessage(h.tg, 802, /Done: unlock the .*front door \(approved by Olivia\)/i);
    await waitMessage(h.tg, 801, /Done: unlock the .*front door/i);
    // The request message now shows the outcome, and its buttons are gone.
    await h.tg.waitFor(() => /Approved by Olivia/.test(h!.tg.messages.get(request.message_id)!.text ?? '') || undefined, 'request edited');
    expect(h.tg.messages.get(request.message_id)!.reply_markup).toBeUndefined();
    // The PIN message was deleted from the chat.
    expect(h.tg.callsOf('deleteMessage').some((c) => Number(c.params.chat_id) === 801)).toBe(true);
    // A second press on the old button changes nothing and is still answered.
    const again = h.tg.press(oUser, request, buttons[1]!.callback_data!);
    await h.tg.waitFor(() => h!.tg.callbackAnswers.find((a) => a.callback_query_id === again), 'second press answered');
    expect(h.tg.callbackAnswers.find((a) => a.callback_query_id === again)!.text).toMatch(/Already/);
    expect(lastTo(h.tg, 802, /Done/)).toBeDefined();
  });

  it('asks which light when there are several, and acts on the answer', async () => {
    h = await startTgHub({ demo: true });
    const reg = registryOf(h.t);
    await h.tg.waitFor(() => reg.list().filter((e) => e.domain === 'light').length >= 4 || undefined, 'the demo lights');
    const kitchen = reg.list().find((e) => e.domain === 'light' && /kitchen/i.test(e.name))!;
    const ben = await addMember(h, 'ben', 'adult');
    const b = h.tg.user(803, 'Ben');
    await pair(h, ben, b);
    h.tg.say(b, 'turn on the light');
    const question = await waitMessage(h.tg, 803, /Which light do you mean\?/);
    expect(question.text).toMatch(/1\. .*\n2\. /);
    expect(
      reg
        .list()
        .filter((e) => e.domain === 'light' && e.state === 'on')
        .map((e) => e.id),
    ).not.toContain(kitchen.id);
    h.tg.say(b, 'the kitchen one');
    await waitMessage(h.tg, 803, /^Done: turn on the .*kitchen light\.$/i);
    await h.tg.waitFor(() => reg.get(kitchen.id)?.state === 'on' || undefined, 'the kitchen light on');
    h.tg.say(b, '/approvals');
    await waitMessage(h.tg, 803, /Nothing is waiting for approval/);
  });
});
