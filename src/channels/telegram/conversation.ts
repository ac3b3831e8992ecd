import type { Api } from 'grammy';
import type { HubContext } from '../../core/context.js';
import type { Logger } from '../../core/logger.js';
import { HearthError, errorMessage } from '../../core/errors.js';
import { RateLimiter } from '../../core/rate-limit.js';
import type { Entity } from '../../devices/model.js';
import type { Member } from '../../members/model.js';
import type { MembersService } from '../../members/service.js';
import type { EntityRegistry } from '../../devices/registry.js';
import type { ActionGate } from '../../gate/gate.js';
import type { Envelope, GateOutcome } from '../../gate/model.js';
import type { NotificationRouter } from '../../notify/router.js';
import { parseIntent, answerQuestion, describeAction, resolveClarified, type ClarifyIntent } from '../../intents/index.js';
import type { CallbackSigner } from './callback.js';
import { describe } from './errors.js';
import { clip } from './sender.js';
import type { TgCallback, TgMessage, TgUpdate } from './updates.js';
import { approvalsText, devicesText, HELP, statusText } from './texts.js';

/**
 * What the bot uses of the parts below it, derived from their own types (narrowed so the
 * dependencies stay visible): members, the action gate and the entity registry.
 */
export type TelegramMembers = Pick<MembersService, 'get' | 'list' | 'byTelegramUserId' | 'redeemPairingCode'>;
export type TelegramGate = Pick<ActionGate, 'request' | 'decide' | 'get' | 'list'>;
export type EntityLookup = Pick<EntityRegistry, 'list' | 'get'>;

export interface ConversationDeps {
  members: TelegramMembers;
  router: NotificationRouter;
  gate: TelegramGate;
  registry: EntityLookup;
}

/** A step-up approval waiting for the PIN as the member's next message. */
interface PinWait {
  approval_id: string;
  expires: number;
}

const MAX_REMEMBERED = 10_000;

/**
 * What the bot does with each validated update. Unbound users get one polite refusal at
 * most (remembered in a bounded set), are rate limited and audited, and never reach the
 * intent parser. Button presses are checked against the presser's binding and role, and
 * answered whatever happens, so no spinner hangs.
 */
export class Conversation {
  private readonly refused = new Set<number>();
  private readonly unboundAudit: RateLimiter;
  private readonly chatLimiter: RateLimiter;
  private readonly floodNoted = new Set<number>();
  private readonly pinWaits = new Map<string, PinWait>();
  /** A clarifying question the member may answer next ("the kitchen one", "2", "both"). */
  private readonly clarifyWaits = new Map<string, { intent: ClarifyIntent; expires: number }>();
  private readonly log: Logger;

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: ConversationDeps,
    private readonly signer: CallbackSigner,
    private readonly token: string,
  ) {
    this.log = ctx.log.child({ part: 'telegram' });
    const s = ctx.settings.get().telegram;
    const now = () => ctx.clock.now();
    this.chatLimiter = new RateLimiter({ burst: Math.max(3, Math.ceil(s.messages_per_minute / 2)), perSecond: s.messages_per_minute / 60, maxKeys: 5_000, now });
    this.unboundAudit = new RateLimiter({ burst: 3, perSecond: 1 / 60, maxKeys: 5_000, now });
  }

  async handle(update: TgUpdate, api: Api): Promise<void> {
    if (update.callback_query) return this.onCallback(update.callback_query, api);
    if (update.edited_message !== undefined) {
      this.log.debug({ update_id: update.update_id }, 'edited message ignored');
      return;
    }
    const msg = update.message;
    if (!msg?.from || msg.from.is_bot) return;
    if (msg.chat.type !== 'private') {
      this.log.info({ chat: msg.chat.id }, 'message from a group ignored: the bot works in private chats');
      return;
    }
    const userId = msg.from.id;
    if (!this.chatLimiter.take(String(userId))) {
      if (!this.floodNoted.has(userId)) {
        if (this.floodNoted.size >= MAX_REMEMBERED) this.floodNoted.clear();
        this.floodNoted.add(userId);
        this.ctx.audit.append({ actor: `telegram:${userId}`, origin: 'telegram', kind: 'telegram.rate_limited', data: { telegram_user_id: userId } });
        this.log.warn({ telegram_user_id: userId }, 'chat over its message rate; ignoring it for a while');
      }
      return;
    }
    this.floodNoted.delete(userId);
    const text = msg.text;
    const member = this.deps.members.byTelegramUserId(userId);
    const bound = member && !member.disabled ? member : undefined;
    const start = text !== undefined ? /^\/start(?:@\w+)?(?:\s+(\S{1,64}))?\s*$/.exec(text) : null;
    if (start?.[1] && !bound) return this.pair(msg, start[1], api);
    // The bare code works too: people type what they see rather than "/start <code>".
    const bare = !bound && text !== undefined ? /^\s*([0-9a-z]{8})\s*$/i.exec(text) : null;
    if (bare?.[1]) return this.pair(msg, bare[1], api);
    if (!bound) return this.unbound(msg, api);
    if (text === undefined) return this.reply(api, userId, 'I can only read text messages. Try /help.');
    if (text.length > this.ctx.settings.get().telegram.max_text_length) return this.reply(api, userId, 'That message is too long for me. Please keep it short.');
    if (await this.pinReply(bound, msg, text, api)) return;
    if (start) return this.reply(api, userId, `Hello ${bound.display_name}, you are paired. ${HELP}`);
    return this.onText(bound, text.trim(), api);
  }

  // ---- pairing and strangers -----------------------------------------------------------------

  private async pair(msg: TgMessage, code: string, api: Api): Promise<void> {
    const userId = msg.from!.id;
    try {
      const member = this.deps.members.redeemPairingCode(code, userId);
      this.refused.delete(userId);
      this.log.info({ member_id: member.id }, 'Telegram paired');
      await this.reply(api, userId, `Hello ${member.display_name}! This chat is now paired with Hearth.\n${HELP}`);
    } catch (err) {
      const reason = err instanceof HearthError ? err.code : 'ERROR';
      if (!(err instanceof HearthError)) this.log.error({ err: errorMessage(err) }, 'pairing failed');
      await this.reply(api, userId, reason === 'PAIRING_CODE_INVALID' ? 'That pairing code did not work. Ask the owner for a new one.' : 'Pairing is not possible right now. Try again in a few minutes.');
    }
  }

  private async unbound(msg: TgMessage, api: Api): Promise<void> {
    const userId = msg.from!.id;
    if (this.unboundAudit.take(String(userId))) {
      this.ctx.audit.append({
        actor: `telegram:${userId}`,
        origin: 'telegram',
        kind: 'telegram.unbound_message',
        data: { telegram_user_id: userId, username: msg.from!.username ?? null, length: msg.text?.length ?? 0 },
      });
    }
    if (this.refused.has(userId)) return;
    if (this.refused.size >= MAX_REMEMBERED) this.refused.delete(this.refused.values().next().value!);
    this.refused.add(userId);
    await this.reply(api, userId, "Sorry, I only talk to the people of this home. If that's you, ask the owner for a pairing code and send it here.");
  }

  // ---- text ----------------------------------------------------------------------------------

  private async onText(member: Member, text: string, api: Api): Promise<void> {
    const chat = member.telegram_user_id!;
    const command = /^\/([a-z_]+)(?:@\w+)?\b/i.exec(text)?.[1]?.toLowerCase();
    const entities = this.deps.registry.list() ?? [];
    switch (command) {
      case undefined:
        break;
      case 'help':
        return this.reply(api, chat, HELP);
      case 'status':
        return this.reply(api, chat, statusText(entities, this.ctx.settings.get().hub.name));
      case 'devices':
        return this.reply(api, chat, devicesText(entities));
      case 'approvals':
        return this.reply(api, chat, approvalsText(this.deps.gate.list({ state: 'pending' }), (id) => this.name(id), (id) => this.deps.registry.get(id)));
      case 'ack': {
        const taken = this.ackLatest(member);
        return this.reply(api, chat, taken ? 'Thanks, you took it; the others have been told.' : 'There is nothing waiting for you.');
      }
      default:
        return this.reply(api, chat, `I don't know /${command}. ${HELP}`);
    }
    const answered = this.clarifyAnswer(member, text, entities);
    const intent = answered ?? parseIntent(text, entities);
    switch (intent.kind) {
      case 'question':
        return this.reply(api, chat, answerQuestion(intent, (id) => this.deps.registry.get(id)));
      case 'clarify':
        if (intent.operation && intent.candidates.length > 1) {
          if (this.clarifyWaits.size >= MAX_REMEMBERED) this.clarifyWaits.clear();
          this.clarifyWaits.set(member.id, { intent, expires: this.ctx.clock.now() + 2 * 60_000 });
        }
        return this.reply(api, chat, `${intent.question}\n${intent.candidates.map((c, i) => `${i + 1}. ${c.name}`).join('\n')}${intent.operation ? '\nReply with a number, a name, or "all".' : ''}`);
      case 'unknown':
        return this.reply(api, chat, "Sorry, I didn't understand that. Try \"turn off the kitchen light\", \"is the garage open?\" or /help.");
      case 'command':
        return this.command(member, intent.entity_ids, intent.operation, intent.params, text, api);
    }
  }

  /** Reads a reply to the last clarifying question; undefined when it is not one. */
  private clarifyAnswer(member: Member, text: string, entities: Entity[]): ReturnType<typeof parseIntent> | undefined {
    const wait = this.clarifyWaits.get(member.id);
    if (!wait) return undefined;
    this.clarifyWaits.delete(member.id);
    if (wait.expires < this.ctx.clock.now()) return undefined;
    const c = wait.intent.candidates;
    const t = text.toLowerCase().replace(/[^a-z0-9 ]/g, ' ').trim();
    let chosen: string[] = [];
    if (/^\d{1,2}$/.test(t) && c[Number(t) - 1]) chosen = [c[Number(t) - 1]!.entity_id];
    else if (/^(all|both|all of them|every one|everything)$/.test(t)) chosen = c.map((x) => x.entity_id);
    else {
      const words = t.split(/\s+/).filter((w) => w.length > 2 && !['the', 'one', 'please', 'that', 'light', 'lights', 'lamp'].includes(w));
      const hits = words.length ? c.filter((x) => words.every((w) => x.name.toLowerCase().includes(w))) : [];
      if (hits.length === 1) chosen = [hits[0]!.entity_id];
    }
    return chosen.length ? resolveClarified(wait.intent, chosen, entities) : undefined;
  }

  private async command(member: Member, ids: string[], operation: string, params: Record<string, unknown>, text: string, api: Api): Promise<void> {
    const chat = member.telegram_user_id!;
    const gate = this.deps.gate;
    const lines: string[] = [];
    for (const entity_id of ids.slice(0, 20)) {
      const entity = this.deps.registry.get(entity_id);
      const what = describeAction({ entity_id, operation, params }, entity);
      try {
        const out = await gate.request({ action: { entity_id, operation, params }, origin: { member_id: member.id, channel: 'telegram' }, reason: `Telegram: "${text.slice(0, 200)}"` });
        lines.push(this.outcomeLine(what, out));
      } catch (err) {
        this.log.error({ err: errorMessage(err), entity_id }, 'gate request failed');
        lines.push(`Could not ${what}: something went wrong inside the hub.`);
      }
    }
    await this.reply(api, chat, lines.join('\n'));
  }

  private outcomeLine(what: string, out: GateOutcome): string {
    switch (out.status) {
      case 'executed':
        return `Done: ${what}.`;
      case 'unconfirmed':
        return `Sent, but I could not confirm it: ${what}. ${out.detail.message}`;
      case 'failed':
        return `That did not work: ${what}. ${out.detail.message}`;
      case 'refused':
        return `I can't ${what}: ${out.message}`;
      case 'pending': {
        const approvers = this.approverNames(out.envelope);
        return `I need approval to ${what}. Waiting for approval from ${approvers}.`;
      }
    }
  }

  private approverNames(env: Envelope): string {
    const names = this.deps.members
      .list()
      .filter((m) => !m.disabled && env.policy.approver_roles.includes(m.role) && !(env.policy.exclude_requester && m.id === env.origin.member_id))
      .map((m) => m.display_name);
    if (names.length === 0) return 'an approver';
    return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  }

  private ackLatest(member: Member): boolean {
    const open = this.deps.router.list({ member_id: member.id, limit: 20 }).find((n) => n.state === 'open' && !n.kind.startsWith('approval.') && n.deliveries.some((d) => d.status === 'delivered'));
    return open ? this.deps.router.acknowledge({ id: open.id }, member.id, 'telegram') : false;
  }

  // ---- step-up PIN -----------------------------------------------------------------------------

  private async pinReply(member: Member, msg: TgMessage, text: string, api: Api): Promise<boolean> {
    const wait = this.pinWaits.get(member.id);
    if (!wait) return false;
    this.pinWaits.delete(member.id);
    if (wait.expires < this.ctx.clock.now()) return false;
    const chat = member.telegram_user_id!;
    if (!/^\d{4,8}$/.test(text.trim())) {
      await this.reply(api, chat, 'That is not a PIN; the approval was not given. Press Approve again to retry.');
      return true;
    }
    // The PIN should not stay in the chat history.
    await api.deleteMessage(msg.chat.id, msg.message_id).catch((err: unknown) => this.log.info({ err: describe(err, this.token) }, 'could not delete the PIN message'));
    await this.decide(member, wait.approval_id, 'approve', api, text.trim());
    return true;
  }

  private async decide(member: Member, approvalId: string, decision: 'approve' | 'deny', api: Api | undefined, pin?: string): Promise<string> {
    const gate = this.deps.gate;
    let answer: string;
    try {
      const env = await gate.decide(approvalId, { member_id: member.id, decision, channel: 'telegram', ...(pin ? { pin } : {}) });
      answer = decision === 'approve' ? (env.state === 'pending' ? 'Approved; waiting for another approver.' : 'Approved.') : 'Denied.';
    } catch (err) {
      answer = err instanceof HearthError ? err.message : 'Something went wrong; nothing was decided.';
      if (!(err instanceof HearthError)) this.log.error({ err: errorMessage(err) }, 'decision failed');
    }
    if (pin && api) await this.reply(api, member.telegram_user_id!, answer);
    return answer;
  }

  // ---- buttons ---------------------------------------------------------------------------------

  private async onCallback(cb: TgCallback, api: Api): Promise<void> {
    let answer = 'Sorry, that button does not work any more.';
    try {
      answer = await this.callback(cb, api);
    } catch (err) {
      this.log.error({ err: describe(err, this.token) }, 'button press failed');
    } finally {
      await api.answerCallbackQuery(cb.id, { text: answer.slice(0, 200) }).catch((err: unknown) => this.log.warn({ err: describe(err, this.token) }, 'could not answer a button press'));
    }
  }

  private async callback(cb: TgCallback, api: Api): Promise<string> {
    const data = this.signer.verify(cb.data);
    if (!data) {
      this.log.warn({ telegram_user_id: cb.from.id }, 'button press with data the hub did not sign');
      return 'Sorry, that button does not work.';
    }
    const member = this.deps.members.byTelegramUserId(cb.from.id);
    if (!member || member.disabled) {
      this.ctx.audit.append({ actor: `telegram:${cb.from.id}`, origin: 'telegram', kind: 'telegram.unbound_message', data: { telegram_user_id: cb.from.id, button: true } });
      return 'This chat is not paired with the home.';
    }
    if (data.kind === 'approval') {
      const gate = this.deps.gate;
      const env = gate.get(data.approval_id);
      if (!env) return 'I do not know that approval.';
      if (!env.policy.approver_roles.includes(member.role) || (env.policy.exclude_requester && env.origin.member_id === member.id)) {
        this.ctx.audit.append({ actor: member.id, origin: 'telegram', kind: 'telegram.button_refused', subject: env.id, data: { reason: 'not an approver' } });
        return 'You cannot decide this one.';
      }
      if (env.state !== 'pending') return `Already ${env.state}.`;
      // Step-up is the owner's choice in policy: a PIN from Telegram only when policy asks for it here.
      if (data.decision === 'approve' && env.policy.step_up && this.ctx.settings.get().policy.step_up_channels.includes('telegram')) {
        if (this.pinWaits.size >= MAX_REMEMBERED) this.pinWaits.clear();
        this.pinWaits.set(member.id, { approval_id: env.id, expires: Math.min(Date.parse(env.expires_at), this.ctx.clock.now() + 5 * 60_000) });
        await this.reply(api, member.telegram_user_id!, 'Please reply with your PIN to approve. I will delete the message after reading it.');
        return 'Reply with your PIN.';
      }
      return this.decide(member, env.id, data.decision, undefined);
    }
    const row = this.deps.router.outbox.notification(data.notification_id);
    if (!row || !this.deps.router.outbox.deliveriesOf(row.id).some((d) => d.member_id === member.id)) return 'That is not one of your messages.';
    const action = (JSON.parse(row.actions) as { kind: string; label: string; action?: { entity_id: string; operation: string; params: Record<string, unknown> } }[])[data.index];
    if (!action) return 'Sorry, that button does not work.';
    if (row.state !== 'open') return `Already taken${row.ack_by ? ` by ${this.name(row.ack_by)}` : ''}.`;
    if (action.kind === 'ack') {
      this.deps.router.acknowledge({ id: row.id }, member.id, 'telegram');
      return 'Thanks, you took it.';
    }
    if (action.kind === 'action' && action.action) {
      const gate = this.deps.gate;
      const what = describeAction(action.action, this.deps.registry.get(action.action.entity_id));
      // The press is the acknowledgement: the ladder stops and the others hear who took it now,
      // before the device has moved (which may close the alert by itself).
      this.deps.router.acknowledge({ id: row.id }, member.id, 'telegram', `${member.display_name} took it (${what}).`);
      const out = await gate.request({ action: action.action, origin: { member_id: member.id, channel: 'telegram' }, reason: `button on: ${row.text.slice(0, 100)}` });
      const line = this.outcomeLine(what, out);
      if (out.status !== 'executed') await this.reply(api, member.telegram_user_id!, line);
      return line;
    }
    return 'Sorry, that button does not work.';
  }

  // ---- sending ---------------------------------------------------------------------------------

  private name(memberId: string): string {
    return this.deps.members.get(memberId)?.display_name ?? 'someone';
  }

  /** A reply in a conversation: sent directly (the person is waiting); failures are logged. */
  private async reply(api: Api, chatId: number, text: string): Promise<void> {
    try {
      await api.sendMessage(chatId, clip(text), { link_preview_options: { is_disabled: true } });
    } catch (err) {
      this.log.warn({ chat: chatId, err: describe(err, this.token) }, 'reply not sent');
    }
  }
}
