import { Composer, type Context } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import type { HubContext } from '../../part/context.js';
import type { Logger } from '../../core/logger.js';
import { HearthError, errorMessage } from '../../core/errors.js';
import { RateLimiter } from '../../core/rate-limit.js';
import type { Member } from '../../members/model.js';
import type { MembersService } from '../../members/service.js';
import { HELP, withNumberedChoices, type Dialogue, type DialogueReply } from '../../dialogue/index.js';
import type { CallbackSigner } from './callback.js';
import { describe } from './errors.js';
import { clip } from './sender.js';

/** The bot's context: grammY's, with the home's member once the chat is found to be bound. */
export type HearthContext = Context & { member?: Member };

export type TelegramMembers = Pick<MembersService, 'byTelegramUserId' | 'redeemPairingCode'>;

export interface BotEnv {
  ctx: HubContext;
  members: TelegramMembers;
  dialogue: Dialogue;
  signer: CallbackSigner;
  token: string;
}

const MAX_REMEMBERED = 10_000;
const START = /^\/start(?:@\w+)?(?:\s+(\S{1,64}))?\s*$/;
/** A pairing code typed on its own: people type what they see rather than "/start <code>". */
const BARE_CODE = /^\s*([0-9a-z]{8})\s*$/i;

/**
 * The Telegram transport over the dialogue, as grammY middleware: private chats only, a
 * flood limit per user, the bound member put on the context, then pairing for strangers with
 * a code, one polite refusal for the others, and every bound message and button handed to
 * the dialogue. What stays here is Telegram's: keyboards, signed button data, deleting a PIN.
 */
export function telegramComposer(env: BotEnv): Composer<HearthContext> {
  const { ctx: hub, members, dialogue, signer, token } = env;
  const log: Logger = hub.log.child({ part: 'telegram' });
  const s = hub.settings.get().telegram;
  const now = () => hub.clock.now();
  const chatLimiter = new RateLimiter({ burst: Math.max(3, Math.ceil(s.messages_per_minute / 2)), perSecond: s.messages_per_minute / 60, maxKeys: 5_000, now });
  const unboundAudit = new RateLimiter({ burst: 3, perSecond: 1 / 60, maxKeys: 5_000, now });
  const refused = new Set<number>();
  const floodNoted = new Set<number>();

  /** Sends a dialogue reply into the chat: choices as an inline keyboard of signed buttons. */
  const send = async (x: HearthContext, chatId: number, reply: DialogueReply | string): Promise<void> => {
    const r: DialogueReply = typeof reply === 'string' ? { reply, intent: 'help' } : reply;
    let text = r.intent === 'clarify' ? withNumberedChoices(r) : r.reply;
    if (r.intent === 'pin') text += ' I will delete the message after reading it.';
    const keyboard: InlineKeyboardButton[][] = (r.choices ?? []).flatMap((c) => {
      const data = signer.sign({ kind: 'choice', choice_id: c.id });
      return data ? [[{ text: c.label.slice(0, 60), callback_data: data }]] : [];
    });
    try {
      await x.api.sendMessage(chatId, clip(text), {
        ...(keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {}),
        link_preview_options: { is_disabled: true },
      });
    } catch (err) {
      log.warn({ chat: chatId, err: describe(err, token) }, 'reply not sent');
    }
  };

  const c = new Composer<HearthContext>();

  c.on('edited_message', (x) => log.debug({ update_id: x.update.update_id }, 'edited message ignored'));

  // The member behind a chat or a button, put on the context for the handlers below.
  c.use(async (x, next) => {
    const id = x.from?.id;
    const member = id !== undefined && !x.from?.is_bot ? members.byTelegramUserId(id) : undefined;
    if (member && !member.disabled) x.member = member;
    await next();
  });

  // ---- messages --------------------------------------------------------------------------

  const chat = c.on('message');
  chat.use(async (x, next) => {
    if (!x.from || x.from.is_bot) return;
    if (x.chat.type !== 'private') {
      log.info({ chat: x.chat.id }, 'message from a group ignored: the bot works in private chats');
      return;
    }
    const userId = x.from.id;
    if (!chatLimiter.take(String(userId))) {
      if (!floodNoted.has(userId)) {
        if (floodNoted.size >= MAX_REMEMBERED) floodNoted.clear();
        floodNoted.add(userId);
        hub.audit.append({ actor: `telegram:${userId}`, origin: 'telegram', kind: 'telegram.rate_limited', data: { telegram_user_id: userId } });
        log.warn({ telegram_user_id: userId }, 'chat over its message rate; ignoring it for a while');
      }
      return;
    }
    floodNoted.delete(userId);
    await next();
  });

  // Strangers: pairing with a code, or one polite refusal; their words never reach the dialogue.
  chat.use(async (x, next) => {
    if (x.member) return next();
    const userId = x.from!.id;
    const code = x.msg.text !== undefined ? (START.exec(x.msg.text)?.[1] ?? BARE_CODE.exec(x.msg.text)?.[1]) : undefined;
    if (code) {
      try {
        const member = members.redeemPairingCode(code, userId);
        refused.delete(userId);
        log.info({ member_id: member.id }, 'Telegram paired');
        return send(x, userId, `Hello ${member.display_name}! This chat is now paired with Hearth.\n${HELP}`);
      } catch (err) {
        const reason = err instanceof HearthError ? err.code : 'ERROR';
        if (!(err instanceof HearthError)) log.error({ err: errorMessage(err) }, 'pairing failed');
        return send(
          x,
          userId,
          reason === 'PAIRING_CODE_INVALID'
            ? 'That pairing code did not work. Ask the owner for a new one.'
            : 'Pairing is not possible right now. Try again in a few minutes.',
        );
      }
    }
    if (unboundAudit.take(String(userId))) {
      hub.audit.append({
        actor: `telegram:${userId}`,
        origin: 'telegram',
        kind: 'telegram.unbound_message',
        data: { telegram_user_id: userId, username: x.from!.username ?? null, length: x.msg.text?.length ?? 0 },
      });
    }
    if (refused.has(userId)) return;
    if (refused.size >= MAX_REMEMBERED) refused.delete(refused.values().next().value!);
    refused.add(userId);
    return send(x, userId, "Sorry, I only talk to the people of this home. If that's you, ask the owner for a pairing code and send it here.");
  });

  chat.use(async (x) => {
    const member = x.member!;
    const chatId = x.chat.id;
    const text = x.msg.text;
    if (text === undefined) return send(x, chatId, 'I can only read text messages. Try /help.');
    if (text.length > hub.settings.get().telegram.max_text_length) return send(x, chatId, 'That message is too long for me. Please keep it short.');
    if (START.test(text)) return send(x, chatId, `Hello ${member.display_name}, you are paired. ${HELP}`);
    const reply = await dialogue.say({ member, channel: 'telegram', text });
    // A PIN should not stay in the chat history.
    if (reply.secret) await x.deleteMessage().catch((err: unknown) => log.info({ err: describe(err, token) }, 'could not delete the PIN message'));
    return send(x, chatId, reply);
  });

  // ---- buttons ---------------------------------------------------------------------------

  // Every press is answered, whatever happens, so no spinner hangs.
  c.on('callback_query', async (x) => {
    let answer = 'Sorry, that button does not work any more.';
    try {
      answer = await press(x);
    } catch (err) {
      log.error({ err: describe(err, token) }, 'button press failed');
    } finally {
      await x
        .answerCallbackQuery({ text: answer.slice(0, 200) })
        .catch((err: unknown) => log.warn({ err: describe(err, token) }, 'could not answer a button press'));
    }
  });

  const press = async (x: HearthContext): Promise<string> => {
    const cb = x.callbackQuery!;
    const data = signer.verify(cb.data);
    if (!data) {
      log.warn({ telegram_user_id: cb.from.id }, 'button press with data the hub did not sign');
      return 'Sorry, that button does not work.';
    }
    const member = x.member;
    if (!member) {
      hub.audit.append({
        actor: `telegram:${cb.from.id}`,
        origin: 'telegram',
        kind: 'telegram.unbound_message',
        data: { telegram_user_id: cb.from.id, button: true },
      });
      return 'This chat is not paired with the home.';
    }
    const chatId = cb.from.id;
    let reply: DialogueReply;
    if (data.kind === 'choice') {
      // The question's buttons go once one is pressed; the answer comes as a message.
      await x.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
      reply = await dialogue.say({ member, channel: 'telegram', choice: data.choice_id });
      await send(x, chatId, reply);
      return reply.short ?? 'OK';
    }
    reply =
      data.kind === 'approval'
        ? await dialogue.decide(member, 'telegram', data.approval_id, data.decision)
        : await dialogue.button(member, 'telegram', data.notification_id, data.index);
    if (reply.short) await send(x, chatId, reply);
    return reply.short ?? reply.reply;
  };

  return c;
}
