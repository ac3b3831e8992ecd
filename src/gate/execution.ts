import type { HubContext } from '../part/context.js';
import { isoTime } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Origin } from '../audit/entry.js';
import type { EntityRegistry } from '../devices/registry.js';
import { forAudit } from './redact.js';
import type { Executor, ExecResult } from './executor.js';
import type { EnvelopeStore, StoredEnvelope } from './store.js';
import type { GateChecks } from './checks.js';
import { gateErrors } from './errors.js';
import type { Action, Envelope, ExecutionOutcome, OutcomeDetail } from './model.js';

/** Thrown inside a transaction to roll it back when another caller changed the envelope first. */
export class LostRace extends Error {}

/**
 * Running what the gate allowed: a direct action, or an approved envelope (approved → executing
 * exactly once, time-of-use recheck, run, confirm, finish), each step with its audit entry; and,
 * at start, closing envelopes a crash left half way. Every outcome is reported only once its
 * entries are on disk.
 */
export class GateExecution {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: HubContext,
    private readonly store: EnvelopeStore,
    private readonly executor: Executor,
    private readonly checks: GateChecks,
    private readonly registry: EntityRegistry,
    private readonly log: Logger,
  ) {}

  /** Waits for what is running to be recorded (the executor's waits end first, on its stop()). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /**
   * `asked` is the envelope as read when the decision was made (its actor, origin and digest never
   * change); the `executing` step is queued in the decision's group commit, and the rest works on
   * the envelope as stored once that commit is on disk, before anything is sent.
   */
  async executeEnvelope(asked: StoredEnvelope): Promise<Envelope> {
    const { envelope: env, actor } = asked;
    const id = env.id;
    const channel = env.origin.channel;
    let stored: StoredEnvelope;
    try {
      ({ result: stored } = await this.ctx.audit.withEntryDurably(
        { actor, origin: channel, kind: 'approval.executing', subject: id, data: { digest: env.digest } },
        () => {
          if (!this.store.transition(id, ['approved'], 'executing', isoTime(this.ctx.clock.now()))) throw new LostRace();
          return this.store.get(id)!;
        },
      ));
    } catch (err) {
      if (err instanceof LostRace) return this.mustGet(id); // not approved (yet), or someone else runs it
      throw err;
    }
    const problem = this.checks.recheck(stored);
    if (problem) {
      await this.finish(id, actor, channel, 'failed', problem);
      const after = this.mustGet(id);
      this.ctx.bus.emit('action.executed', {
        envelope_id: id,
        action: env.action,
        outcome: { status: 'failed', action_id: id, envelope_id: id, entity: this.registry.get(env.action.entity_id) ?? null, detail: problem },
      });
      return after;
    }
    const sent = this.sentEntries(env.action, id, actor, channel);
    const result = await this.executor.run(env.action, sent.hook);
    await Promise.all([sent.written(), this.finish(id, actor, channel, result.status, result.detail)]);
    this.ctx.bus.emit('action.executed', { envelope_id: id, action: env.action, outcome: toOutcome(result, id, id) });
    return this.mustGet(id);
  }

  async runAction(action: Action, actionId: string, actor: string, channel: Origin, recorded?: (commit: Promise<unknown>) => void): Promise<ExecutionOutcome> {
    const sent = this.sentEntries(action, actionId, actor, channel);
    const result = await this.executor.run(action, sent.hook);
    const kind = result.status === 'executed' ? 'action.confirmed' : `action.${result.status}`;
    const outcome = toOutcome(result, actionId);
    // With a device that answers at once, "sent" and "confirmed" share one group commit.
    const commit = Promise.all([
      sent.written(),
      this.ctx.audit.appendDurably({ actor, origin: channel, kind, subject: actionId, data: { detail: result.detail } }),
    ]).then(() => this.ctx.bus.emit('action.executed', { action, outcome }));
    if (!recorded) {
      await commit;
      return outcome;
    }
    void this.track(commit).catch(() => {}); // stop() waits for it; the caller awaits it
    recorded(commit);
    return outcome;
  }

  private async finish(id: string, actor: string, channel: Origin, state: 'executed' | 'failed' | 'unconfirmed', detail: OutcomeDetail): Promise<void> {
    try {
      await this.ctx.audit.withEntryDurably({ actor, origin: channel, kind: `approval.${state}`, subject: id, data: { ...detail } }, () => {
        if (!this.store.transition(id, ['executing'], state, isoTime(this.ctx.clock.now()), detail)) throw new LostRace();
      });
    } catch (err) {
      if (err instanceof LostRace) return;
      throw err;
    }
    this.ctx.bus.emit('approval.finished', this.mustGet(id));
  }

  /**
   * The executor's "sent" hook: the `action.executed` entry goes into the group commit of the
   * moment the command was handed on (it records the send, after it happened); `written()` is
   * that commit, awaited before the outcome is reported.
   */
  private sentEntries(action: Action, subject: string, actor: string, channel: Origin): { hook: (error?: string) => void; written: () => Promise<unknown> } {
    let entry: Promise<unknown> = Promise.resolve();
    return {
      hook: (error) => {
        entry = this.ctx.audit.appendDurably({
          actor,
          origin: channel,
          kind: 'action.executed',
          subject,
          data: { action: forAudit(action), sent: !error, ...(error ? { error } : {}) },
        });
        entry.catch(() => {}); // awaited by written(); never an unhandled rejection while the device is awaited
      },
      written: () => entry,
    };
  }

  /**
   * At start: an envelope left `executing` by a crash may or may not have moved the device.
   * It becomes `unconfirmed` and is never run again on its own; one left `approved` never
   * reached the device and fails. Both are audited.
   */
  recover(): Envelope[] {
    const out: Envelope[] = [];
    const at = isoTime(this.ctx.clock.now());
    for (const id of this.store.idsInState('approved')) {
      const stored = this.store.get(id)!;
      this.ctx.audit.withEntry(
        { actor: 'system', origin: 'system', kind: 'approval.failed', subject: id, data: { code: 'INTERRUPTED', recovered: true } },
        () => {
          this.store.transition(id, ['approved'], 'executing', at);
          this.store.transition(id, ['executing'], 'failed', at, {
            code: 'INTERRUPTED',
            message: 'the hub stopped before this approved action was sent; it was not executed',
          });
        },
      );
      out.push(this.mustGet(stored.envelope.id));
    }
    for (const id of this.store.idsInState('executing')) {
      this.ctx.audit.withEntry(
        { actor: 'system', origin: 'system', kind: 'approval.unconfirmed', subject: id, data: { code: 'INTERRUPTED', recovered: true } },
        () => {
          this.store.transition(id, ['executing'], 'unconfirmed', at, {
            code: 'INTERRUPTED',
            message: 'the hub stopped while this action was executing; it may or may not have happened and will not be retried. Check the device.',
          });
        },
      );
      out.push(this.mustGet(id));
    }
    if (out.length) this.log.warn({ envelopes: out.map((e) => e.id) }, 'envelopes interrupted by a stop or crash were closed without running again');
    return out;
  }

  announceInterrupted(e: Envelope): void {
    this.ctx.bus.emit('approval.finished', e);
    this.ctx.bus.emit('gate.alert', {
      code: 'INTERRUPTED',
      message: `${e.action.operation} ${e.action.entity_id} was interrupted by a restart; check the device`,
      envelope: e,
    });
  }

  mustGet(id: string): Envelope {
    const s = this.store.get(id);
    if (!s) throw gateErrors.error('APPROVAL_NOT_FOUND', `no approval request ${id}`);
    return s.envelope;
  }

  /** Keeps in-flight executions known so that stop() can wait for them to be recorded. */
  track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p)).catch(() => {});
    return p;
  }
}

function toOutcome(result: ExecResult, actionId: string, envelopeId?: string): ExecutionOutcome {
  return { status: result.status, action_id: actionId, ...(envelopeId ? { envelope_id: envelopeId } : {}), entity: result.entity, detail: result.detail };
}
