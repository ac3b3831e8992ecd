import type { Api } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import type { Member } from '../../members/model.js';
import type { NotificationAction, NotificationChannel, OutgoingMessage } from '../../notify/model.js';
import { ChannelError } from '../../notify/model.js';
import type { CallbackSigner } from './callback.js';
import { toChannelError } from './errors.js';

/** Telegram's own limit on message text. */
const MAX_TEXT = 4096;

/** Turns a notification's buttons into an inline keyboard with signed callback data. */
export function keyboardFor(notificationId: string, actions: NotificationAction[], signer: CallbackSigner): InlineKeyboardButton[][] {
  const row: InlineKeyboardButton[] = [];
  actions.forEach((a, index) => {
    const data =
      a.kind === 'approve' || a.kind === 'deny'
        ? signer.sign({ kind: 'approval', approval_id: a.approval_id, decision: a.kind })
        : signer.sign({ kind: 'notification', notification_id: notificationId, index });
    if (data) row.push({ text: a.label, callback_data: data });
  });
  return row.length ? [row] : [];
}

/**
 * The Telegram side of the router: a private chat's id is the user's id, so a member is
 * reachable once paired. Sends are not idempotent at Telegram; the router's idempotency key
 * keeps it to one send per delivery except after a crash mid-send (at-least-once).
 */
export class TelegramChannel implements NotificationChannel {
  readonly name = 'telegram';

  constructor(
    private readonly api: () => Api | undefined,
    private readonly signer: CallbackSigner,
    private readonly token: string,
  ) {}

  canReach(member: Member): boolean {
    return member.telegram_user_id !== null && !member.disabled;
  }

  /** Before the bot is up: a paired member will be reachable once it is. */
  canReachLater(member: Member): boolean {
    return member.telegram_user_id !== null;
  }

  async send(message: OutgoingMessage): Promise<{ message_ref: string }> {
    const api = this.api();
    if (!api) throw new ChannelError('the Telegram bot is not running', { retryable: true });
    const chatId = message.member.telegram_user_id;
    if (chatId === null) throw new ChannelError('member is not paired with Telegram', { retryable: false });
    const keyboard = keyboardFor(message.notification_id, message.actions, this.signer);
    try {
      const sent = await api.sendMessage(chatId, clip(message.text), {
        ...(keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {}),
        link_preview_options: { is_disabled: true },
      });
      return { message_ref: `${sent.chat.id}:${sent.message_id}` };
    } catch (err) {
      throw toChannelError(err, this.token);
    }
  }

  async edit(messageRef: string, text: string, actions: NotificationAction[]): Promise<void> {
    const api = this.api();
    const m = /^(-?\d+):(\d+)$/.exec(messageRef);
    if (!api || !m) return;
    try {
      await api.editMessageText(
        Number(m[1]),
        Number(m[2]),
        clip(text),
        actions.length ? { reply_markup: { inline_keyboard: keyboardFor('', actions, this.signer) } } : { reply_markup: { inline_keyboard: [] } },
      );
    } catch (err) {
      throw toChannelError(err, this.token);
    }
  }
}

export const clip = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);
