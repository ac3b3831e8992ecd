import type { HubContext } from '../part/context.js';
import type { Origin } from '../audit/entry.js';
import type { Logger } from '../core/logger.js';
import { HearthError, errorMessage } from '../core/errors.js';
import { randomToken } from '../core/ids.js';
import type { EntityRegistry } from '../devices/registry.js';
import type { Member } from '../members/model.js';
import { answerQuestion, describeAction, intentSchema, parseIntent, resolveClarified } from '../intents/index.js';
import type { ClarifyIntent, CommandIntent, Intent, QuestionIntent } from '../intents/index.js';
import type { DialogueReply, ReplyOutcome, Turn } from './model.js';
import { ALL_LABEL, approverNames, mayDecide, NOT_UNDERSTOOD, outcomeLine, typedChoice } from './replies.js';
import { ConversationState, type ChoiceAct, type OfferedChoice } from './state.js';
import { approvalsText, devicesText, HELP, statusText } from './texts.js';
import { notificationButton } from './buttons.js';
import type { DialogueDeps } from './deps.js';

export type { DialogueDeps } from './deps.js';

/** Below this a resolver's reading is asked back ("Shall I?") instead of acted on. */
export const MIN_CONFIDENCE = 0.7;
/** How long a resolver may think before the person hears "I didn't understand". */
const RESOLVE_TIMEOUT_MS = 20_000;
const CHOICE_TTL_MS = 5 * 60_000;
const PIN_TTL_MS = 5 * 60_000;
const MAX_REQUESTS = 20;
const MAX_RESOLVED = 5;

const COMMAND_WORDS = new Set(['help', 'status', 'devices', 'approvals', 'ack']);
const CHANNEL_NAMES: Partial<Record<Origin, string>> = { telegram: 'Telegram', web: 'Web chat', api: 'API chat', voice: 'Phone' };

/**
 * One conversation for every channel: a text (or a choice) in, plain words and choices out.
 * Text → intent (the rule parser, then the injected resolver) → gate requests, one per entity
 * and clause; clarifying questions and approvals become choices; a step-up approval asks for
 * the PIN. Replies are composed here from the gate's outcomes and the registry's states.
 */
export class Dialogue {
  private readonly state: ConversationState;
  private readonly log: Logger;

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: DialogueDeps,
  ) {
    this.state = new ConversationState(() => ctx.clock.now());
    this.log = ctx.log.child({ part: 'dialogue' });
  }

  get resolverName(): string | undefined {
    return this.deps.resolver?.name;
  }

  async say(turn: Turn): Promise<DialogueReply> {
    const { member, channel } = turn;
    const pending = this.state.take(member.id, channel);
    if (turn.choice !== undefined) {
      const chosen = pending?.kind === 'choices' ? pending.choices.find((c) => c.id === turn.choice) : undefined;
      if (!chosen) return { reply: 'That choice is no longer open. Please ask again.', intent: 'unknown' };
      return this.act(turn, chosen.act);
    }
    const text = (turn.text ?? '').trim();
    if (pending?.kind === 'pin') return this.pinAnswer(member, channel, pending.approval_id, text);
    const word = /^\/?([a-z_]+)(?:@\w+)?[.!?]*$/i.exec(text)?.[1]?.toLowerCase();
    if (text.startsWith('/') || (word && COMMAND_WORDS.has(word))) return this.command(member, channel, word ?? text.slice(1, 30));
    if (pending?.kind === 'choices') {
      const chosen = typedChoice(pending.choices, text);
      if (chosen) return this.act(turn, chosen.act);
    }
    return this.understand(turn, text);
  }

  /** An approve or deny from a button (Telegram's approval keyboard) or a choice. */
  async decide(member: Member, channel: Origin, approvalId: string, decision: 'approve' | 'deny'): Promise<DialogueReply> {
    const env = this.deps.gate.get(approvalId);
    if (!env) return { reply: 'I do not know that approval.', intent: 'decision' };
    // A sole approver may confirm their own request (policy.sole_approver_pin), always with the PIN.
    const own = env.origin.member_id === member.id;
    const selfConfirm = own && env.policy.approver_roles.includes(member.role) && this.deps.gate.selfConfirm(env);
    if (!mayDecide(member, env) && !selfConfirm) {
      this.ctx.audit.append({
        actor: member.id,
        origin: channel,
        kind: 'dialogue.decision_refused',
        subject: env.id,
        data: { reason: 'not an approver', decision },
      });
      return { reply: 'You cannot decide this one.', intent: 'decision' };
    }
    if (env.state !== 'pending')
      return { reply: `Already ${env.state}.`, intent: 'decision', outcome: { status: env.state as ReplyOutcome['status'], approval_id: env.id } };
    // Step-up is the owner's choice in policy: the PIN only where policy asks for it on this
    // channel, and always for approving one's own request.
    if (decision === 'approve' && (own || (env.policy.step_up && this.ctx.settings.get().policy.step_up_channels.includes(channel)))) {
      if (!this.deps.members.hasPin(member.id)) return { reply: 'Approving this needs a PIN; set one in your profile first.', intent: 'decision' };
      this.state.set(member.id, channel, { kind: 'pin', approval_id: env.id }, Math.min(Date.parse(env.expires_at) - this.ctx.clock.now(), PIN_TTL_MS));
      return {
        reply: `Please reply with your PIN to approve: ${describeAction(env.action, this.deps.registry.get(env.action.entity_id))}.`,
        short: 'Reply with your PIN.',
        intent: 'pin',
        outcome: { status: 'pending', approval_id: env.id },
      };
    }
    return this.record(member, channel, approvalId, decision);
  }

  /** A button under a notification: take it (acknowledge), or ask the gate for its action. */
  async button(member: Member, channel: Origin, notificationId: string, index: number): Promise<DialogueReply> {
    return notificationButton(this.deps, this.line, member, channel, notificationId, index);
  }

  // ---- turns ---------------------------------------------------------------------------------

  private async command(member: Member, channel: Origin, word: string): Promise<DialogueReply> {
    const entities = this.deps.registry.list() ?? [];
    switch (word) {
      case 'help':
        return { reply: HELP, intent: 'help' };
      case 'status':
        return { reply: statusText(entities, this.ctx.settings.get().hub.name), intent: 'status' };
      case 'devices':
        return { reply: devicesText(entities), intent: 'devices' };
      case 'approvals':
        return this.approvals(member, channel);
      case 'ack': {
        const open = this.deps.router
          .list({ member_id: member.id, limit: 20 })
          .find((n) => n.state === 'open' && !n.kind.startsWith('approval.') && n.deliveries.some((d) => d.status === 'delivered'));
        const taken = open ? this.deps.router.acknowledge({ id: open.id }, member.id, channel) : false;
        return { reply: taken ? 'Thanks, you took it; the others have been told.' : 'There is nothing waiting for you.', intent: 'ack' };
      }
      default:
        return { reply: `I don't know /${word}. ${HELP}`, intent: 'unknown' };
    }
  }

  /** The pending approvals, with Approve and Deny choices for those this member may decide. */
  private approvals(member: Member, channel: Origin): DialogueReply {
    const pending = this.deps.gate.list({ state: 'pending' });
    const reply = approvalsText(
      pending,
      (id) => this.name(id),
      (id) => this.deps.registry.get(id),
    );
    const mine = pending.filter((e) => mayDecide(member, e)).slice(0, 5);
    if (mine.length === 0) return { reply, intent: 'approvals' };
    return this.offer(
      member,
      channel,
      { reply, intent: 'approvals' },
      mine.flatMap((e) => {
        const what = describeAction(e.action, this.deps.registry.get(e.action.entity_id));
        const who = e.origin.member_id ? ` (${this.name(e.origin.member_id)})` : '';
        return [
          { label: `Approve: ${what}${who}`, act: { kind: 'decide', approval_id: e.id, decision: 'approve' } as ChoiceAct },
          { label: `Deny: ${what}${who}`, act: { kind: 'decide', approval_id: e.id, decision: 'deny' } as ChoiceAct },
        ];
      }),
    );
  }

  private async act(turn: Turn, act: ChoiceAct): Promise<DialogueReply> {
    switch (act.kind) {
      case 'cancel':
        return { reply: 'All right, I did nothing.', intent: 'cancelled' };
      case 'decide':
        return this.decide(turn.member, turn.channel, act.approval_id, act.decision);
      case 'intents':
        return this.respond(turn, act.intents, act.text, act.proposer);
    }
  }

  private async understand(turn: Turn, text: string): Promise<DialogueReply> {
    const entities = this.deps.registry.list() ?? [];
    const parsed = parseIntent(text, entities);
    if (parsed.kind !== 'unknown') return this.respond(turn, [parsed], text);
    const resolved = await this.resolve(turn.member, text, entities);
    if (!resolved || resolved.intents.length === 0) return { reply: NOT_UNDERSTOOD, intent: 'unknown' };
    const commands = resolved.intents.filter((i): i is CommandIntent => i.kind === 'command');
    if (commands.length > 0 && resolved.confidence < MIN_CONFIDENCE) {
      // Not sure enough to act: say back what it would do, in the hub's words, and ask.
      const acts = resolved.intents.filter((i): i is CommandIntent | QuestionIntent => i.kind === 'command' || i.kind === 'question');
      const said = acts.map((i) =>
        i.kind === 'command'
          ? this.describeCommand(i)
          : `tell you about ${i.entity_ids?.map((id) => this.deps.registry.get(id)?.name ?? id).join(', ') ?? 'that'}`,
      );
      return this.offer(turn.member, turn.channel, { reply: `Did you mean: ${said.join('; then ')}?`, intent: 'confirm' }, [
        { label: 'Yes', act: { kind: 'intents', intents: acts, proposer: 'llm', text } },
        { label: 'No', act: { kind: 'cancel' } },
      ]);
    }
    return this.respond(turn, resolved.intents, text, 'llm');
  }

  /** Asks the resolver, validates what it says, and keeps only intents about entities that exist. */
  private async resolve(
    member: Member,
    text: string,
    entities: ReturnType<EntityRegistry['list']>,
  ): Promise<{ intents: Intent[]; confidence: number } | undefined> {
    const resolver = this.deps.resolver;
    if (!resolver) return undefined;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), RESOLVE_TIMEOUT_MS);
    try {
      const out = await resolver.resolve({
        text,
        member: { id: member.id, role: member.role, display_name: member.display_name },
        entities,
        signal: abort.signal,
      });
      const known = (id: string) => this.deps.registry.get(id) !== undefined;
      const intents = (Array.isArray(out?.intents) ? out.intents : [])
        .slice(0, MAX_RESOLVED)
        .map((i) => intentSchema.safeParse(i))
        .flatMap((r) => (r.success ? [r.data] : []))
        .filter((i) => (i.kind === 'command' ? i.entity_ids.every(known) : i.kind === 'question' ? (i.entity_ids ?? []).every(known) : i.kind === 'clarify'));
      const confidence = typeof out?.confidence === 'number' && Number.isFinite(out.confidence) ? Math.max(0, Math.min(1, out.confidence)) : 0;
      this.log.debug({ resolver: resolver.name, provider: out?.provider, intents: intents.map((i) => i.kind), confidence }, 'resolver answered');
      return { intents, confidence };
    } catch (err) {
      this.log.warn({ resolver: resolver.name, err: errorMessage(err) }, 'the intent resolver failed; answering without it');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Answers questions, sends each command to the gate, and asks the first clarifying question. */
  private async respond(turn: Turn, intents: Intent[], text: string, proposer?: 'llm'): Promise<DialogueReply> {
    const lines: string[] = [];
    const outcomes: ReplyOutcome[] = [];
    let kind: DialogueReply['intent'] = 'unknown';
    let clarify: ClarifyIntent | undefined;
    let requests = 0;
    for (const intent of intents) {
      if (intent.kind === 'question') {
        lines.push(answerQuestion(intent, (id) => this.deps.registry.get(id)));
        if (kind === 'unknown') kind = 'question';
      } else if (intent.kind === 'command') {
        for (const entity_id of intent.entity_ids) {
          if (requests++ >= MAX_REQUESTS) break;
          const { line, outcome } = await this.request(turn, { ...intent, entity_ids: [entity_id] }, text, proposer);
          lines.push(line);
          outcomes.push(outcome);
        }
        kind = 'command';
      } else if (intent.kind === 'clarify') {
        clarify ??= intent;
      }
    }
    const reply: DialogueReply = { reply: lines.join('\n'), intent: kind };
    if (outcomes.length > 0) {
      reply.outcome = outcomes.find((o) => o.status === 'pending') ?? outcomes[0];
      if (outcomes.length > 1) reply.outcomes = outcomes;
    }
    if (clarify) return this.clarify(turn, clarify, reply, text, proposer);
    if (lines.length === 0) return { reply: NOT_UNDERSTOOD, intent: 'unknown' };
    return reply;
  }

  /**
   * A clarifying question with the candidates as choices (and "all of them"). The question is
   * the hub's own words: a resolver's question text is never shown.
   */
  private clarify(turn: Turn, intent: ClarifyIntent, before: DialogueReply, text: string, proposer?: 'llm'): DialogueReply {
    const entities = this.deps.registry.list() ?? [];
    const candidates = intent.candidates
      .filter((c) => this.deps.registry.get(c.entity_id))
      .map((c) => ({ entity_id: c.entity_id, name: this.deps.registry.get(c.entity_id)!.name }));
    const question = proposer ? 'Which one do you mean?' : intent.question;
    const head = [before.reply, question].filter(Boolean).join('\n');
    const picks: OfferedChoice[] = [];
    for (const c of candidates) {
      const cmd = resolveClarified(intent, [c.entity_id], entities);
      if (cmd?.kind === 'command') picks.push({ id: '', label: c.name, act: { kind: 'intents', intents: [cmd], text, ...(proposer ? { proposer } : {}) } });
    }
    const all = resolveClarified(
      intent,
      candidates.map((c) => c.entity_id),
      entities,
    );
    if (picks.length > 1 && all?.kind === 'command')
      picks.push({ id: '', label: ALL_LABEL, act: { kind: 'intents', intents: [all], text, ...(proposer ? { proposer } : {}) } });
    const base: DialogueReply = { ...before, reply: head, intent: before.intent === 'unknown' ? 'clarify' : before.intent };
    // A question about "which one" without an action to run: the names are the answer's material.
    if (picks.length === 0) return { ...base, reply: `${head}\n${candidates.map((c, i) => `${i + 1}. ${c.name}`).join('\n')}` };
    return this.offer(turn.member, turn.channel, base, picks);
  }

  private async request(turn: Turn, intent: CommandIntent, text: string, proposer?: 'llm'): Promise<{ line: string; outcome: ReplyOutcome }> {
    const entity_id = intent.entity_ids[0]!;
    const action = { entity_id, operation: intent.operation, params: intent.params };
    const what = describeAction(action, this.deps.registry.get(entity_id));
    try {
      const out = await this.deps.gate.request({
        action,
        origin: { member_id: turn.member.id, channel: turn.channel, ...(proposer ? { proposer } : {}) },
        reason: `${CHANNEL_NAMES[turn.channel] ?? turn.channel}: "${text.slice(0, 200)}"`,
      });
      if (out.status === 'pending' && out.self_confirm && this.deps.members.hasPin(turn.member.id)) {
        // No one else can approve it (a home with one owner): the PIN prompt, as for an approval.
        this.state.set(
          turn.member.id,
          turn.channel,
          { kind: 'pin', approval_id: out.approval_id },
          Math.min(Date.parse(out.envelope.expires_at) - this.ctx.clock.now(), PIN_TTL_MS),
        );
        return { line: `No one else can approve this: reply with your PIN to ${what}.`, outcome: { status: 'pending', approval_id: out.approval_id } };
      }
      return { line: this.line(what, out), outcome: out.status === 'pending' ? { status: 'pending', approval_id: out.approval_id } : { status: out.status } };
    } catch (err) {
      this.log.error({ err: errorMessage(err), entity_id }, 'gate request failed');
      return { line: `Could not ${what}: something went wrong inside the hub.`, outcome: { status: 'failed' } };
    }
  }

  private readonly line = (what: string, out: Parameters<typeof outcomeLine>[1]): string =>
    outcomeLine(what, out, (env) => approverNames(env, this.deps.members.list()));

  private describeCommand(intent: CommandIntent): string {
    return intent.entity_ids
      .map((id) => describeAction({ entity_id: id, operation: intent.operation, params: intent.params }, this.deps.registry.get(id)))
      .join(', ');
  }

  // ---- approvals and the PIN -------------------------------------------------------------

  private async pinAnswer(member: Member, channel: Origin, approvalId: string, text: string): Promise<DialogueReply> {
    if (!/^\d{4,8}$/.test(text)) return { reply: 'That is not a PIN; the approval was not given. Choose Approve again to retry.', intent: 'pin' };
    return { ...(await this.record(member, channel, approvalId, 'approve', text)), secret: true };
  }

  private async record(member: Member, channel: Origin, approvalId: string, decision: 'approve' | 'deny', pin?: string): Promise<DialogueReply> {
    try {
      const env = await this.deps.gate.decide(approvalId, { member_id: member.id, decision, channel, ...(pin ? { pin } : {}) });
      const outcome: ReplyOutcome = { status: env.state as ReplyOutcome['status'], approval_id: env.id };
      const what = describeAction(env.action, this.deps.registry.get(env.action.entity_id));
      if (decision === 'deny') return { reply: 'Denied.', intent: 'decision', outcome };
      const reply =
        env.state === 'pending'
          ? 'Approved; waiting for another approver.'
          : env.state === 'executed'
            ? `Approved. Done: ${what}.`
            : env.state === 'failed' || env.state === 'unconfirmed'
              ? `Approved, but ${env.state === 'failed' ? 'it did not work' : 'I could not confirm it'}: ${what}. ${env.outcome?.message ?? ''}`.trim()
              : 'Approved.';
      return { reply, intent: 'decision', outcome };
    } catch (err) {
      if (!(err instanceof HearthError)) this.log.error({ err: errorMessage(err) }, 'decision failed');
      return { reply: err instanceof HearthError ? sentence(err.message) : 'Something went wrong; nothing was decided.', intent: 'decision' };
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Remembers the choices offered to this person on this channel and puts them on the reply. */
  private offer(member: Member, channel: Origin, reply: DialogueReply, choices: Omit<OfferedChoice, 'id'>[]): DialogueReply {
    const nonce = randomToken(6).replace(/[^A-Za-z0-9]/g, 'x');
    const offered = choices.map((c, i) => ({ ...c, id: `${nonce}-${i + 1}` }));
    this.state.set(member.id, channel, { kind: 'choices', choices: offered }, CHOICE_TTL_MS);
    return { ...reply, choices: offered.map(({ id, label }) => ({ id, label })) };
  }

  private name(memberId: string): string {
    return this.deps.members.get(memberId)?.display_name ?? 'someone';
  }
}

const sentence = (s: string): string => {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
};
