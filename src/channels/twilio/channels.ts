import type { Member } from '../../members/model.js';
import { ChannelError, type NotificationChannel, type OutgoingMessage } from '../../notify/model.js';
import type { NotificationRouter } from '../../notify/router.js';
import { twilioErrorText } from './client.js';
import { HOOKS_PREFIX, type HookHandler } from './hooks.js';
import type { Spend, TwilioPhone } from './phone.js';
import { HearthError } from '../../core/errors.js';
import { ask, sayAndHangUp } from './twiml.js';

const reachable = (phone: TwilioPhone, m: Member): boolean => phone.enabled && m.phone !== null && !m.disabled;

/**
 * Whose spend a notification is and whether a cap may stop it: a cap never blocks a help
 * escalation (urgent) or an alert to an owner.
 */
export const spendOf = (m: OutgoingMessage): Spend => ({
  member_id: m.member.id,
  essential: m.severity === 'urgent' || m.kind === 'checkin.help' || m.member.role === 'owner',
});

/** A REST failure as the router wants it: 4xx (a bad number) is final, the rest is retried. */
function channelError(err: unknown): ChannelError {
  if (err instanceof HearthError && err.code === 'USAGE_CAP_REACHED') return new ChannelError(`not sent: ${err.message}`, { retryable: false });
  const status = (err as { status?: number }).status;
  return new ChannelError(twilioErrorText(err), { retryable: status === undefined || status === 429 || status >= 500 });
}

/** `sms`: the notification's text to the member's phone. */
export class SmsChannel implements NotificationChannel {
  readonly name = 'sms';
  constructor(private readonly phone: TwilioPhone) {}
  canReach(m: Member): boolean {
    return reachable(this.phone, m);
  }
  async send(message: OutgoingMessage): Promise<{ message_ref: string }> {
    if (!message.member.phone) throw new ChannelError('member has no phone number', { retryable: false });
    const acks = message.actions.some((a) => a.kind === 'ack') ? '\n\nOpen Hearth to say you will handle it.' : '';
    try {
      return { message_ref: await this.phone.sms(message.member.phone, `${message.text}${acks}`, spendOf(message)) };
    } catch (err) {
      throw channelError(err);
    }
  }
}

/**
 * `voice`: a call that reads the notification; "press 1 to say you'll handle it" acknowledges it,
 * which stops the ladder for everyone. The delivery id is in the webhook path.
 */
export class VoiceChannel implements NotificationChannel {
  readonly name = 'voice';
  constructor(
    private readonly phone: TwilioPhone,
    private readonly router: NotificationRouter,
  ) {}
  canReach(m: Member): boolean {
    return reachable(this.phone, m) && this.phone.answerable;
  }
  async send(message: OutgoingMessage): Promise<{ message_ref: string }> {
    if (!message.member.phone) throw new ChannelError('member has no phone number', { retryable: false });
    const base = `${HOOKS_PREFIX}/alert/${message.delivery_id}`;
    try {
      return {
        message_ref: await this.phone.call({ to: message.member.phone, answerPath: `${base}/answer`, statusPath: `${base}/status`, spend: spendOf(message) }),
      };
    } catch (err) {
      throw channelError(err);
    }
  }

  /** The webhooks of an alert call: answer (read it, ask), gather (1 takes it), status (nothing to do). */
  readonly hook: HookHandler = ([deliveryId, step], p) => {
    const d = deliveryId ? this.router.outbox.delivery(deliveryId) : undefined;
    const n = d ? this.router.outbox.notification(d.notification_id) : undefined;
    if (!d || !n) return { twiml: sayAndHangUp(['This alert is no longer open. Goodbye.']) };
    if (step === 'status') return { twiml: sayAndHangUp([]) };
    const action = this.phone.url(`${HOOKS_PREFIX}/alert/${d.id}/gather`);
    if (step === 'answer') {
      if (n.state !== 'open') return { twiml: sayAndHangUp([`This is Hearth. ${n.text}`, 'Someone has already taken it. Goodbye.']) };
      return { twiml: ask([`This is Hearth. ${n.text}`, "Press 1 to say you'll handle it."], action) };
    }
    if (p.Digits === '1' || /\b(yes|i will|i'll|handle)\b/i.test(p.SpeechResult ?? '')) {
      const taken = this.router.acknowledge({ id: n.id }, d.member_id, 'voice');
      return { twiml: sayAndHangUp([taken ? 'Thank you. Everyone has been told you are handling it.' : 'Someone has already taken it. Thank you.']) };
    }
    return { twiml: sayAndHangUp(['Nobody has been told. Goodbye.']) };
  };
}
