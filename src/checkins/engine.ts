import type { HubContext } from '../part/context.js';
import type { Service, ComponentHealth } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { newId } from '../core/ids.js';
import { errorMessage, HearthError } from '../core/errors.js';
import { checkinsErrors } from './errors.js';
import type { Member } from '../members/model.js';
import type { MemberDirectory } from '../notify/model.js';
import type { NotificationRouter } from '../notify/router.js';
import type { Summaries } from '../inference/summary.js';
import { HOOKS_PREFIX, type HookHandler, type HookResult, type TwilioParams } from '../channels/twilio/hooks.js';
import type { TwilioPhone } from '../channels/twilio/phone.js';
import { ask, sayAndHangUp } from '../channels/twilio/twiml.js';
import { classify, isMachine, outcomeOfStatus, type Outcome } from './model.js';
import { CheckinStore, type AttemptRow, type CallRow, type Checkin } from './store.js';
import { nextDue } from './schedule.js';
import { escalationLadder, phoneOf } from './people.js';

declare module '../core/bus.js' {
  interface HubEvents {
    /** An elder's check-in went unanswered after its last try (escalation starts); workflows' `event: checkin.missed`. */
    'checkin.missed': { checkin_id: string; attempt_id: string; member_id: string; name: string; outcome: Outcome; tries: number };
  }
}

const TICK_MS = 1000;
/** A call with no final word from Twilio after this long counts as failed (its webhook was lost). */
const STALE_CALL_MS = 15 * 60_000;
const HINTS = 'fine, yes, okay, help, I fell, not well';

/**
 * The check-in engine. Schedules keep their next due time in SQLite; an attempt is a durable
 * ladder (the next call's time is a column; each call is a row written before it is placed), so
 * a restart resumes every attempt where it was and never places a call twice. Outcomes arrive
 * through Twilio's webhooks (`/hooks/twilio/checkin/<attempt>/<step>`), which answer from the
 * database at once and leave REST calls for after the answer.
 */
export class CheckinEngine implements Service {
  readonly name = 'checkins';
  readonly store: CheckinStore;
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** Summaries being written (after a webhook's answer); awaited by stop(). */
  private readonly summarising = new Set<Promise<void>>();
  private lastPrune = 0;

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: { phone: TwilioPhone; router: NotificationRouter; members: MemberDirectory; summaries?: Summaries },
  ) {
    this.store = new CheckinStore(ctx.store.db);
    this.log = ctx.log.child({ part: 'checkins' });
  }

  start(): void {
    // A call written but never confirmed placed (a crash between the row and Twilio's answer) is
    // not placed again: it counts as a failed try and the ladder goes on from there.
    for (const c of this.store.unfinishedCalls()) if (c.sid === null) this.callEnded(c, 'failed', 'the hub stopped while placing this call');
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await Promise.all(this.summarising);
  }

  health(): ComponentHealth {
    const n = this.store.list().filter((c) => c.enabled).length;
    if (n > 0 && !this.deps.phone.answerable)
      return { status: 'degraded', detail: `${n} check-in(s) scheduled but Twilio is not ready: ${this.deps.phone.health().detail}` };
    return { status: 'ok', detail: `${n} check-in(s) scheduled` };
  }

  private get tz(): string {
    return this.ctx.settings.get().hub.timezone;
  }

  nextDueOf(c: Pick<Checkin, 'times' | 'days' | 'enabled'>, after: number): number | null {
    return c.enabled ? (nextDue(c.times, c.days, this.tz, after) ?? null) : null;
  }

  /** One pass: start due check-ins, place due calls, settle calls Twilio never finished. Public for tests. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = (async () => {
      await Promise.resolve(); // so that `finally` never runs before `this.ticking` is set
      try {
        const now = this.ctx.clock.now();
        for (const c of this.store.due(now)) {
          this.store.transaction(() => {
            this.store.setNextDue(c.id, this.nextDueOf(c, now), now);
            this.store.insertAttempt({ id: newId('att'), checkin_id: c.id, member_id: c.member_id, started_at: now });
          });
        }
        for (const a of this.store.dueCalls(now)) await this.placeCall(a);
        for (const c of this.store.unfinishedCalls())
          if (c.sid !== null && now - c.updated_at > STALE_CALL_MS) this.callEnded(c, 'failed', 'no word from Twilio about this call');
        if (now - this.lastPrune > 86_400_000) {
          this.lastPrune = now;
          this.store.prune(now - 180 * 86_400_000);
        }
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'check-in pass failed');
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  /** POST /checkins/:id/call: an attempt now. */
  callNow(checkinId: string): string {
    const c = this.store.get(checkinId)!;
    const id = newId('att');
    this.store.insertAttempt({ id, checkin_id: c.id, member_id: c.member_id, started_at: this.ctx.clock.now() });
    void this.tick();
    return id;
  }

  /**
   * The workflow `checkin` step: the elder (by member id, username or display name) gets their
   * check-in call now. Synchronous, so that the workflow writes its step in the same transaction.
   */
  startFor(who: { member_id?: string; name?: string }, key: string): { attempt_id: string; member_id: string; checkin_id: string } {
    const wanted = who.name?.toLowerCase();
    const member = who.member_id
      ? this.deps.members.get(who.member_id)
      : this.deps.members.list().find((m) => m.username.toLowerCase() === wanted || m.display_name.toLowerCase() === wanted);
    if (!member) throw checkinsErrors.error('NOT_FOUND', `nobody called ${who.member_id ?? who.name} is in this home`);
    const mine = this.store.list(member.id);
    const c = mine.find((x) => x.enabled) ?? mine[0];
    if (!c) throw checkinsErrors.error('NOT_FOUND', `${member.display_name} has no check-in to start`);
    const attemptId = this.callNow(c.id);
    this.ctx.audit.append({ actor: key, origin: 'workflow', kind: 'checkin.started', subject: c.id, data: { attempt: attemptId } });
    return { attempt_id: attemptId, member_id: member.id, checkin_id: c.id };
  }

  /** The row first (so a restart never places it twice), then Twilio. */
  private async placeCall(a: AttemptRow): Promise<void> {
    const now = this.ctx.clock.now();
    const callId = `${a.id}-${a.tries + 1}`;
    const c = this.store.get(a.checkin_id);
    const elder = this.deps.members.get(a.member_id);
    this.store.transaction(() => {
      this.store.setAttempt(a.id, { tries: a.tries + 1, next_call_at: null, state: 'calling' }, now);
      this.store.insertCall(callId, a.id, now);
    });
    const to = c && elder ? phoneOf(c, elder) : undefined;
    if (!to) return this.callEnded(this.store.call(callId)!, 'failed', 'no phone number for this check-in');
    const base = `${HOOKS_PREFIX}/checkin/${a.id}`;
    try {
      const sid = await this.deps.phone.call({
        to,
        answerPath: `${base}/answer`,
        statusPath: `${base}/status`,
        amdPath: `${base}/amd`,
        spend: { member_id: a.member_id, essential: false },
      });
      this.store.setCall(callId, { sid, status: 'queued' }, this.ctx.clock.now());
      this.ctx.audit.append({ actor: 'system', origin: 'system', kind: 'checkin.call', subject: a.checkin_id, data: { attempt: a.id, try: a.tries + 1, sid } });
    } catch (err) {
      this.log.warn({ attempt: a.id, err: errorMessage(err) }, 'check-in call could not be placed');
      this.callEnded(this.store.call(callId)!, 'failed', errorMessage(err));
    }
  }

  /**
   * A call is over without an answer that settles the attempt: try again after the set minutes,
   * or, with no tries left, tell the family.
   */
  private callEnded(call: CallRow, outcome: Outcome, why?: string): void {
    const now = this.ctx.clock.now();
    const a = this.store.attempt(call.attempt_id);
    this.store.setCall(call.id, { ended: 1, outcome: call.outcome ?? outcome, ...(call.sid === null ? { status: 'failed' } : {}) }, now);
    if (!a || a.state !== 'calling' || a.next_call_at !== null) return;
    const final = call.outcome ?? outcome;
    const c = this.store.get(a.checkin_id);
    if (!c) return this.store.setAttempt(a.id, { state: 'done', outcome: final }, now);
    if (a.tries <= c.retries) {
      this.store.setAttempt(a.id, { outcome: final, next_call_at: now + c.retry_after_min * 60_000 }, now);
      this.log.info({ attempt: a.id, outcome: final, why }, 'check-in not answered; calling again later');
      return;
    }
    this.escalate(a, c, final);
  }

  /** The family is told through the router's ladder: first person, then SMS, then calls to the next. */
  private escalate(a: AttemptRow, c: Checkin, outcome: Outcome): void {
    const now = this.ctx.clock.now();
    const name = this.deps.members.get(a.member_id)?.display_name ?? 'The elder';
    const help = outcome === 'help';
    const heard = a.said ? ` They said: "${a.said}".` : '';
    const text = help
      ? `${name} asked for help on the check-in call.${heard} Please call ${name} now.`
      : `${name} did not answer the check-in call (${a.tries} ${a.tries === 1 ? 'try' : 'tries'}; last: ${WORDS[outcome]}). Please check on ${name}.`;
    const { id } = this.deps.router.notify({
      kind: help ? 'checkin.help' : 'checkin.missed',
      severity: help ? 'urgent' : 'warning',
      text,
      subject: `checkin:${a.id}`,
      escalate: true,
      ladder: escalationLadder(c.escalate_to),
      actions: [{ kind: 'ack', label: `I'll call ${name}`.slice(0, 40) }],
    });
    this.store.setAttempt(
      a.id,
      { state: 'escalated', outcome, next_call_at: null, notification_id: id, escalation_kind: help ? 'help' : 'missed', escalated_at: now },
      now,
    );
    this.ctx.audit.append({
      actor: 'system',
      origin: 'system',
      kind: help ? 'checkin.help' : 'checkin.missed',
      subject: c.id,
      data: { attempt: a.id, outcome, notification: id },
    });
    if (!help) this.ctx.bus.emit('checkin.missed', { checkin_id: c.id, attempt_id: a.id, member_id: a.member_id, name, outcome, tries: a.tries });
  }

  /** The elder is fine: everyone alerted about an earlier check-in hears "all clear", and those ladders stop. */
  allClear(member: Member, how: string): void {
    const now = this.ctx.clock.now();
    for (const a of this.store.openEscalations(member.id)) {
      this.store.setAttempt(a.id, { all_clear_at: now }, now);
      const byRelay = a.relay_told ? (JSON.parse(a.relay_told) as string[]) : [];
      if (!a.notification_id && byRelay.length === 0) continue;
      const told = [
        ...new Set([
          ...(a.notification_id
            ? this.deps.router.outbox
                .deliveriesOf(a.notification_id)
                .filter((d) => d.status === 'delivered')
                .map((d) => d.member_id)
            : []),
          ...byRelay,
        ]),
      ];
      if (a.notification_id) this.deps.router.close(`checkin:${a.id}`, `All clear: ${member.display_name} ${how}.`);
      if (told.length > 0)
        this.deps.router.notify({
          kind: 'checkin.all_clear',
          severity: 'info',
          text: `All clear: ${member.display_name} ${how}.`,
          subject: `checkin:${a.id}`,
          audience: { members: told },
        });
    }
  }

  // ---- webhooks -------------------------------------------------------------------------------

  readonly hook: HookHandler = ([attemptId, step, n], p) => {
    const a = attemptId ? this.store.attempt(attemptId) : undefined;
    const call = p.CallSid ? this.store.callBySid(p.CallSid) : undefined;
    if (!a || !call || call.attempt_id !== a.id) return { twiml: sayAndHangUp(['Sorry, this call is not expected. Goodbye.']) };
    const c = this.store.get(a.checkin_id);
    const lang = c?.language ?? 'en-GB';
    const name = this.deps.members.get(a.member_id)?.display_name ?? '';
    const now = this.ctx.clock.now();
    const gatherUrl = (k: number) => this.deps.phone.url(`${HOOKS_PREFIX}/checkin/${a.id}/gather/${k}`);
    switch (step) {
      case 'answer':
        this.store.setCall(call.id, { status: 'in-progress' }, now);
        return {
          twiml: ask(
            [`Hello ${name}, this is your morning call from Hearth.`, "If you're fine, press 1 or say fine. If you need help, press 2 or say help."],
            gatherUrl(1),
            lang,
            HINTS,
          ),
        };
      case 'gather':
        return this.answered(a, call, p, Number(n) || 1, gatherUrl(2), lang);
      case 'amd':
        return this.machine(call, p.AnsweredBy ?? 'unknown', name, lang);
      case 'status':
        return this.status(call, p);
      default:
        return { twiml: sayAndHangUp([]) };
    }
  };

  /**
   * Work after the answer when the elder said something: with a model, a one-line summary of
   * what they said (the speech is untrusted: quoted and capped by the summaries; a sentence that
   * adds numbers of its own is refused). No model, or no usable sentence: no summary at all.
   */
  private summaryAfter(attemptId: string, said: string | undefined, name: string): HookResult['after'] {
    const summaries = this.deps.summaries;
    if (!said || !summaries) return undefined;
    return () => {
      const work = summaries
        .sentence({
          facts: [`On the check-in call, ${name || 'the elder'} said: ${said}`],
          template: '',
          member_id: 'system',
          maxTokens: 60,
          signal: AbortSignal.timeout(30_000),
        })
        .then((s) => {
          if (s.by === 'model' && s.text) this.store.setAttempt(attemptId, { summary: s.text.slice(0, 240) }, this.ctx.clock.now());
        })
        .catch((err: unknown) => this.log.warn({ attempt: attemptId, err: errorMessage(err) }, 'no summary of the check-in call'))
        .finally(() => this.summarising.delete(work));
      this.summarising.add(work);
      return work;
    };
  }

  private answered(a: AttemptRow, call: CallRow, p: TwilioParams, n: number, again: string, lang: string): HookResult {
    const result = this.interpret(a, call, p, n, again, lang);
    if (result.after || isMachine(call.answered_by)) return result;
    const said = p.SpeechResult?.trim().slice(0, 500);
    return { ...result, after: this.summaryAfter(a.id, said, this.deps.members.get(a.member_id)?.display_name ?? '') };
  }

  private interpret(a: AttemptRow, call: CallRow, p: TwilioParams, n: number, again: string, lang: string): HookResult {
    const now = this.ctx.clock.now();
    const said = p.SpeechResult?.slice(0, 500);
    if (isMachine(call.answered_by)) return { twiml: sayAndHangUp([], lang) }; // a voicemail is never "fine"
    const meaning = classify({ digits: p.Digits, speech: said });
    this.store.setCall(call.id, { said: said ?? call.said, digits: p.Digits ?? call.digits, outcome: meaning }, now);
    if (said) this.store.setAttempt(a.id, { said }, now);
    const member = this.deps.members.get(a.member_id);
    if (meaning === 'ok') {
      if (a.state === 'calling') this.store.setAttempt(a.id, { state: 'done', outcome: 'ok', next_call_at: null }, now);
      if (member) this.allClear(member, 'answered the check-in call and is fine');
      return { twiml: sayAndHangUp(['Thank you. Have a lovely day. Goodbye.'], lang) };
    }
    if (meaning === 'help') {
      const c = this.store.get(a.checkin_id);
      if (c && a.state !== 'escalated') this.escalate({ ...a, said: said ?? a.said }, c, 'help');
      return { twiml: sayAndHangUp(["I'm telling your family right now. Someone will call you very soon."], lang) };
    }
    if (n < 2) return { twiml: ask(["Sorry, I didn't catch that.", 'Press 1 if you are fine, or 2 if you need help.'], again, lang, HINTS) };
    return { twiml: sayAndHangUp(["I still didn't catch that. We'll try again soon. Goodbye."], lang) };
  }

  /** AMD says it is a machine: leave a short message (after the answer) and count the call as such. */
  private machine(call: CallRow, answeredBy: string, name: string, lang: string): HookResult {
    this.store.setCall(call.id, { answered_by: answeredBy, ...(isMachine(answeredBy) ? { outcome: 'machine' as const } : {}) }, this.ctx.clock.now());
    if (!isMachine(answeredBy) || !call.sid) return { twiml: sayAndHangUp([]) };
    const sid = call.sid;
    return {
      twiml: sayAndHangUp([]),
      after: () => this.deps.phone.updateCall(sid, sayAndHangUp([`Hello ${name}, this is Hearth with your check-in call. We will call again shortly.`], lang)),
    };
  }

  private status(call: CallRow, p: TwilioParams): HookResult {
    const now = this.ctx.clock.now();
    const status = p.CallStatus ?? 'unknown';
    if (!call.ended) this.store.setCall(call.id, { status }, now);
    const never = outcomeOfStatus(status);
    if (never) this.callEnded(this.store.call(call.id)!, never);
    else if (status === 'completed') {
      const fresh = this.store.call(call.id)!;
      this.callEnded(fresh, isMachine(fresh.answered_by) ? 'machine' : 'unclear');
    }
    return { twiml: sayAndHangUp([]) };
  }

  // ---- reading -------------------------------------------------------------------------------

  attempts(checkinId: string) {
    return this.store.attemptsOf(checkinId).map((a) => {
      const n = a.notification_id ? this.deps.router.get(a.notification_id) : undefined;
      return {
        id: a.id,
        checkin_id: a.checkin_id,
        started_at: new Date(a.started_at).toISOString(),
        state: a.next_call_at !== null && a.tries > 0 ? ('waiting' as const) : a.state,
        outcome: a.outcome,
        ...(a.said ? { said: a.said } : {}),
        ...(a.summary ? { summary: a.summary } : {}),
        calls: this.store.callsOf(a.id).map((c) => ({
          sid: c.sid,
          status: c.status,
          at: new Date(c.created_at).toISOString(),
          ...(c.answered_by ? { answered_by: c.answered_by } : {}),
          ...(c.said ? { said: c.said } : {}),
          ...(c.digits ? { digits: c.digits } : {}),
          ...(c.outcome ? { outcome: c.outcome } : {}),
        })),
        ...(a.notification_id && a.escalated_at
          ? {
              escalation: {
                notification_id: a.notification_id,
                kind: a.escalation_kind ?? 'missed',
                at: new Date(a.escalated_at).toISOString(),
                state: n?.state,
                ack_by: n?.ack_by ?? null,
                all_clear_at: a.all_clear_at ? new Date(a.all_clear_at).toISOString() : null,
              },
            }
          : {}),
      };
    });
  }
}

const WORDS: Record<Outcome, string> = {
  ok: 'fine',
  help: 'asked for help',
  unclear: 'could not understand the answer',
  no_answer: 'no answer',
  busy: 'line busy',
  failed: 'the call failed',
  machine: 'answering machine',
};
