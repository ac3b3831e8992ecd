import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';
import { BOT_USER } from '../fakes/telegram-bot-api.js';
import { addMember, startTgHub, waitMessage, type TgHub } from './support.js';

let h: TgHub | undefined;
let plain: TestHub | undefined;
afterEach(async () => {
  await h?.stop();
  await plain?.stop();
  h = undefined;
  plain = undefined;
});

/**
 * Pairing that works for a person: the page learns the bot's @name (getMe) to make a
 * https://t.me/<bot>?start=<code> link, and the bot takes the bare code as well as /start <code>.
 */
describe('Telegram pairing', () => {
  it('names the bot (getMe) and pairs a member who types the bare code', async () => {
    h = await startTgHub();
    const cookie = await setupOwner(h.t);
    const bot = await api(h.t, 'GET', '/telegram/bot', { cookie });
    expect(bot.body).toEqual({ configured: true, username: BOT_USER.username, link: `https://t.me/${BOT_USER.username}` });

    const sam = await addMember(h, 'sam', 'adult');
    const { code } = h.members.createPairingCode(sam.id, { id: 'system', origin: 'cli' });
    const user = h.tg.user(555, 'Sam');
    h.tg.say(user, `  ${code.toUpperCase()} `);
    await waitMessage(h.tg, 555, /This chat is now paired with Hearth/);
    expect(h.members.get(sam.id)?.telegram_user_id).toBe(555);

    // A stranger typing a wrong code is told so, and pairs nothing.
    const stranger = h.tg.user(556, 'Eve');
    h.tg.say(stranger, 'abcd2345');
    await waitMessage(h.tg, 556, /That pairing code did not work/);
  });

  it('without a bot token: not configured, no name, no link', async () => {
    plain = await startTestHub();
    const cookie = await setupOwner(plain);
    const bot = await api(plain, 'GET', '/telegram/bot', { cookie });
    expect(bot.body).toEqual({ configured: false, username: null, link: null });
    expect((await api(plain, 'GET', '/telegram/bot')).status).toBe(401);
  });
});
