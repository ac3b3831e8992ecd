import { afterEach, describe, expect, it } from 'vitest';
import { addMember, pair, registryOf, startTgHub, waitMessage, type TgHub } from './support.js';

/** The dialogue's choices through the real Telegram transport: inline keyboards with signed data. */
describe("Telegram: the dialogue's choices as buttons", () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a clarifying question has a button per light; a press acts and takes the keyboard away', async () => {
    h = await startTgHub({ demo: true });
    const reg = registryOf(h.t);
    await h.tg.waitFor(() => reg.list().filter((e) => e.domain === 'light').length >= 4 || undefined, 'the demo lights');
    const ben = await addMember(h, 'ben', 'adult');
    const b = h.tg.user(811, 'Ben');
    await pair(h, ben, b);
    h.tg.say(b, 'turn on the light');
    const question = await waitMessage(h.tg, 811, /Which light do you mean\?/);
    const buttons = question.reply_markup!.inline_keyboard.flat();
    expect(buttons.map((x) => x.text).at(-1)).toBe('All of them');
    const porch = buttons.find((x) => /Porch light$/.test(x.text))!;
    expect(porch.callback_data).toMatch(/^c:[A-Za-z0-9_-]+:0:[A-Za-z0-9_-]{10}$/);
    // Someone else pressing Ben's button gets nothing done.
    const stranger = h.tg.press(h.tg.user(899, 'Eve'), question, porch.callback_data!);
    await h.tg.waitFor(() => h!.tg.callbackAnswers.find((a) => a.callback_query_id === stranger), 'stranger answered');
    expect(h.tg.callbackAnswers.find((a) => a.callback_query_id === stranger)!.text).toMatch(/not paired/);

    const press = h.tg.press(b, question, porch.callback_data!);
    await h.tg.waitFor(() => h!.tg.callbackAnswers.find((a) => a.callback_query_id === press), 'press answered');
    await waitMessage(h.tg, 811, /^Done: turn on the .*porch light\.$/i);
    await h.tg.waitFor(() => reg.get('light.demo_porch')?.state === 'on' || undefined, 'the porch light on');
    expect(h.tg.messages.get(question.message_id)!.reply_markup?.inline_keyboard.flat() ?? []).toEqual([]);
    // The same button again: the choice was used.
    h.tg.press(b, question, porch.callback_data!);
    await waitMessage(h.tg, 811, /no longer open/);
  });

  it('/approvals offers Approve and Deny to the owner; Approve asks for the PIN, which is deleted', async () => {
    h = await startTgHub({ demo: true, settings: { policy: { step_up_channels: ['web', 'api', 'telegram'] } } });
    const reg = registryOf(h.t);
    await h.tg.waitFor(() => reg.get('lock.demo_front_door')?.state === 'locked' || undefined, 'the demo lock');
    const olivia = await addMember(h, 'olivia', 'owner', '2468');
    const ben = await addMember(h, 'ben', 'adult', '1357');
    const o = h.tg.user(821, 'Olivia');
    const b = h.tg.user(822, 'Ben');
    await pair(h, olivia, o);
    await pair(h, ben, b);
    h.tg.say(b, 'unlock the front door');
    await waitMessage(h.tg, 822, /Waiting for approval from Olivia/);
    h.tg.say(o, '/approvals');
    const list = await waitMessage(h.tg, 821, /^• Ben asks to unlock the .*front door .*\(until/i);
    const labels = list.reply_markup!.inline_keyboard.flat().map((x) => x.text);
    expect(labels).toEqual([expect.stringMatching(/^Approve: unlock/), expect.stringMatching(/^Deny: unlock/)]);
    h.tg.press(o, list, list.reply_markup!.inline_keyboard[0]![0]!.callback_data!);
    await waitMessage(h.tg, 821, /reply with your PIN.*delete the message/i);
    h.tg.say(o, '2468');
    await waitMessage(h.tg, 821, /^Approved\. Done: unlock the .*front door\.$/i);
    expect(reg.get('lock.demo_front_door')!.state).toBe('unlocked');
    expect(h.tg.callsOf('deleteMessage').some((c) => Number(c.params.chat_id) === 821)).toBe(true);
    // Ben hears the outcome through the router, which sends once its rows are on disk: not necessarily before Olivia's reply.
    await waitMessage(h.tg, 822, /Done: unlock/);
  });
});
