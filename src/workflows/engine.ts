import type { HubContext } from '../part/context.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { ActionGate } from '../gate/gate.js';
import { FINAL_STATES, type GateOutcome } from '../gate/model.js';
import type { NotificationRouter } from '../notify/router.js';
import type { Severity } from '../notify/model.js';
import type { MembersService } from '../members/service.js';
import { roleSchema } from '../members/model.js';
import { nextCron, parseCron } from './cron.js';
import { renderTemplate } from './expr.js';
import { conditionHolds, snapshot, type EntitySource } from './snapshot.js';
import { stepKind, type Step, type StepShapes, type WorkflowDefinition } from './schema.js';
import { describeSelector, resolveSelector } from './select.js';
import type { RunRow, StepRow, WorkflowStore } from './store.js';

export interface EngineDeps {
  gate: Pick<ActionGate, 'request' | 'get'>;
  router: Pick<NotificationRouter, 'notify'>;
  entities: EntitySource;
  members: Pick<MembersService, 'get' | 'list'>;
  /**
   * Words a step's facts as one sentence with the language model (the inference part's
   * summaries), or returns the template when there is no model; the `llm` step's text.
   */
  compose?: (req: { template: string; facts: string[] }) => Promise<{ text: string; by: 'model' | 'template' }>;
  /** The `checkin` step's port, registered by the check-ins part (which sits above workflows). */
  checkins?: CheckinStarter;
}

/**
 * Starts an elder's check-in call now and returns the attempt it opened. Called inside the
 * transaction that writes the step's row, so a crash leaves both or neither: never two calls.
 * Throws a HearthError (the step fails with its message) when the elder has no check-in.
 */
export interface CheckinStarter {
  start(who: { member_id?: string; name?: string }, key: string): { attempt_id: string; member_id: string; checkin_id: string };
}

type Outcome = 'done' | 'waiting' | 'failed' | 'cancelled';
const URGENCY: Record<string, Severity> = { low: 'info', normal: 'info', high: 'warning', urgent: 'urgent' };

/** The idempotency key of a step: the gate writes it as the audit actor of everything the step asked for. */
export const stepActor = (runId: string, path: string): string => `workflow:${runId}:${path}`;

/**
 * Runs a run by replaying its journal. `advance(run)` walks the definition from the top: a step
 * whose row is `done` is skipped (its saved answer restored), a waiting step is checked (its due
 * time passed, its envelope finished, its answer came) and otherwise keeps the run waiting, and
 * a new step runs and is written down. So a restart needs nothing but `advance` on every open
 * run, and no step that acted is ever done twice:
 *
 * - an action writes its step row (`running`) before the gate is asked, and the gate records the
 *   step's key as the audit actor; a step found `running` after a crash looks for that key in
 *   the trail and waits for the envelope it opened, or reports what ran, instead of acting again;
 * - a notification and its step row are written in one transaction.
 */
export class RunEngine {
  private readonly log: Logger;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Runs waiting for an entity's state (`wait: {state, to}`), by entity id. */
  readonly stateWaiters = new Map<string, Set<string>>();
  /** A run ended (done or failed); its row as the run began. */
  onFinished?: (run: RunRow) => void;

  constructor(
    readonly ctx: HubContext,
    private readonly store: WorkflowStore,
    private readonly deps: EngineDeps,
  ) {
    this.log = ctx.log.child({ part: 'workflows' });
  }

  private get tz(): string {
    return this.ctx.settings.get().hub.timezone;
  }

  /** Runs whose rows wait for this turn's group commit (their first pass runs meanwhile). */
  private readonly starting = new Map<string, { row: RunRow; written: Promise<unknown>; committed?: boolean; walked?: boolean }>();
  /**
   * Runs that were open when the hub started: only these can have asked the gate in a pass that
   * never wrote its answer down (a crash), so only their new action steps look in the trail first.
   */
  private readonly resumed = new Set<string>();

  /** A run found open at start-up: advanced as any other, with the trail consulted before it acts. */
  resume(runId: string): Promise<void> {
    this.resumed.add(runId);
    return this.advance(runId);
  }

  mayHaveActed(runId: string): boolean {
    return this.resumed.has(runId);
  }

  /** A run that ended or was cancelled: nothing waits for it any more. */
  forget(runId: string): void {
    this.resumed.delete(runId);
    this.forgetWaiter(runId);
  }

  /**
   * Starts a new run whose row is in this turn's group commit (`written`): its first pass runs
   * now, so that its first action's audit entry joins the same commit. Nothing it does reaches a
   * device before that commit, as the gate awaits its own entry, queued after the row.
   */
  start(row: RunRow, written: Promise<unknown>): Promise<void> {
    const entry: { row: RunRow; written: Promise<unknown>; committed?: boolean; walked?: boolean } = { row, written };
    this.starting.set(row.id, entry);
    const settled = written.then(
      () => void (entry.committed = true),
      (err: unknown) => {
        this.store.forgetRun(row);
        this.log.error({ run: row.id, err: errorMessage(err) }, 'a workflow run could not be written down; not run');
      },
    );
    void settled.finally(() => this.starting.delete(row.id));
    void this.advance(row.id);
    return settled;
  }

  /** How many runs of a workflow are starting this turn (counted against its mode and rate). */
  startingOf(workflowId: string): number {
    let n = 0;
    for (const s of this.starting.values()) if (s.row.workflow_id === workflowId) n++;
    return n;
  }

  /** Moves a run as far as it can go now. Calls for one run never overlap; a call during one runs after it. */
  advance(runId: string): Promise<void> {
    const current = this.busy.get(runId);
    if (current) {
      this.again.add(runId);
      return current;
    }
    const p = (async () => {
      try {
        do {
          this.again.delete(runId);
          await this.step(runId);
        } while (this.again.has(runId));
      } catch (err) {
        this.log.error({ run: runId, err: errorMessage(err) }, 'workflow run failed unexpectedly');
        this.store.setRunState(runId, 'failed', this.ctx.clock.now(), `internal error: ${errorMessage(err)}`);
        this.forget(runId);
      } finally {
        this.busy.delete(runId);
      }
    })();
    this.busy.set(runId, p);
    return p;
  }

  /** Resolves when no run is being advanced (tests and stop()). */
  async idle(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled([...this.busy.values()]);
  }

  private async step(runId: string): Promise<void> {
    const starting = this.starting.get(runId);
    // A run starting this turn: its row is the one in memory until its commit; its first pass
    // finds no step rows written, so it looks for none.
    const run = starting && !starting.committed ? starting.row : (this.store.run(runId) ?? starting?.row);
    if (!run || (run.state !== 'running' && run.state !== 'waiting') || run.queued === 1) return;
    const fresh = starting !== undefined && !starting.walked;
    if (starting) starting.walked = true;
    const def = JSON.parse(run.definition) as WorkflowDefinition;
    const walker = new Walker(this, run, this.deps, this.store, this.ctx.clock.now(), this.tz, fresh);
    const outcome = await walker.walk(def.steps, '');
    await starting?.written; // the row is on disk (it is, after any action: the gate waited for its commit)
    const now = this.ctx.clock.now();
    // Open runs are counted in memory (WorkflowStore): one that is not open was cancelled meanwhile.
    const state = this.store.openState(run.workflow_id, runId);
    if (!state) return;
    if (outcome === 'waiting') {
      if (state !== 'waiting') this.store.setRunState(runId, 'waiting', now);
      await walker.written();
      return;
    }
    // The run's end, its audit entry and the rows of its last steps: one group commit shared
    // with the other runs that end in this turn.
    await this.ctx.audit.withEntryDurably(
      {
        actor: `workflow:${run.workflow_id}`,
        origin: 'workflow',
        kind: `workflow.run_${outcome}`,
        subject: runId,
        data: { workflow_id: run.workflow_id, dry_run: run.dry_run === 1, ...(walker.error ? { error: walker.error } : {}) },
      },
      () => {
        this.store.setRunState(runId, outcome === 'done' ? 'done' : 'failed', now, walker.error ?? null);
        this.store.clearRunTimers(runId);
      },
    );
    await walker.written();
    this.forget(runId);
    this.onFinished?.(run);
  }

  forgetWaiter(runId: string): void {
    for (const [entity, set] of this.stateWaiters) {
      set.delete(runId);
      if (set.size === 0) this.stateWaiters.delete(entity);
    }
  }

  /** Members an audience names: roles, member ids or usernames. */
  audience(to: string[]): { roles: ('owner' | 'adult' | 'child' | 'elder' | 'guest' | 'support')[]; members: string[] } {
    const roles = to.filter((t) => roleSchema.safeParse(t).success) as ReturnType<RunEngine['audience']>['roles'];
    const members = to
      .filter((t) => !roleSchema.safeParse(t).success)
      .map((t) => this.deps.members.get(t)?.id ?? this.deps.members.list().find((m) => m.username === t)?.id)
      .filter((id): id is string => id !== undefined);
    return { roles, members };
  }

  nextWallTime(hhmm: string, after: number): number {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    return nextCron(parseCron(`${m} ${h} * * *`), after, this.tz)!;
  }
}

/** One pass over a run's definition (see RunEngine). */
class Walker {
  error?: string;
  private readonly vars: Record<string, unknown> = {};

  constructor(
    private readonly engine: RunEngine,
    private readonly run: RunRow,
    private readonly deps: EngineDeps,
    private readonly store: WorkflowStore,
    private readonly now: number,
    private readonly tz: string,
    /** The first pass of a run this process started: no step of it has a row yet, but those this pass writes. */
    private readonly fresh = false,
  ) {}

  /** Paths whose rows this pass wrote before finishing them (waits, asks, branches). */
  private readonly started = new Set<string>();

  /** The step's row, if it has one (a fresh pass knows without asking). */
  private rowOf(path: string): StepRow | undefined {
    return this.fresh && !this.started.has(path) ? undefined : this.store.step(this.run.id, path);
  }

  /** Whether this is the first row written for `path` in a fresh pass (nothing to look for). */
  private firstWrite(path: string): boolean {
    const absent = this.fresh && !this.started.has(path);
    this.started.add(path);
    return absent;
  }

  private startStep(path: string, kind: string): StepRow {
    this.started.add(path);
    return this.store.startStep(this.run.id, path, kind, this.now);
  }

  private get dry(): boolean {
    return this.run.dry_run === 1;
  }

  private scope(names?: ReadonlySet<string>) {
    return snapshot(this.deps.entities, this.now, this.tz, { trigger: JSON.parse(this.run.trigger), vars: this.vars }, names);
  }

  async walk(steps: Step[], prefix: string): Promise<Outcome> {
    for (let i = 0; i < steps.length; i++) {
      const path = prefix === '' ? String(i) : `${prefix}.${i}`;
      const outcome = await this.one(steps[i]!, path);
      if (outcome !== 'done') return outcome;
    }
    return 'done';
  }

  /** Step rows written in the group commit (a finished step's row records what already happened). */
  private readonly writes: Promise<unknown>[] = [];

  /** Resolves once every step row this pass wrote is on disk; rejects if one could not be written. */
  async written(): Promise<void> {
    await Promise.all(this.writes);
  }

  private finishLater(path: string, fields: Parameters<WorkflowStore['finishStep']>[4]): void {
    const kind = this.kindAt(path);
    const absent = this.firstWrite(path);
    // Inside a transaction (a notification and its row) the row lands with it, at once.
    if (this.store.db.inTransaction) return this.store.finishStep(this.run.id, path, kind, this.now, fields, absent);
    const p = this.store.later(() => this.store.finishStep(this.run.id, path, kind, this.now, fields, absent));
    p.catch(() => {}); // awaited by written(), before the run is reported finished
    this.writes.push(p);
  }

  private fail(path: string, message: string, extra: { output?: unknown; ref?: string } = {}): Outcome {
    this.finishLater(path, { state: 'failed', error: message, finished_at: this.now, ...extra });
    this.error = `step ${path}: ${message}`;
    return 'failed';
  }

  private done(path: string, output: unknown, ref?: string): Outcome {
    this.finishLater(path, { state: 'done', output, finished_at: this.now, ...(ref ? { ref } : {}) });
    return 'done';
  }

  /** Set by one() for the step being run: fail() and done() may be the first write of its row. */
  private kinds = new Map<string, string>();
  private kindAt(path: string): string {
    return this.kinds.get(path) ?? 'action';
  }

  private save(name: string | undefined, value: unknown): void {
    if (name) this.vars[name] = value;
  }

  private async one(step: Step, path: string): Promise<Outcome> {
    const kind = stepKind(step);
    this.kinds.set(path, kind);
    let row = this.rowOf(path);
    if (row?.state === 'failed') return 'failed';
    if (row?.state === 'done' && !('if' in step || 'choose' in step || 'parallel' in step)) {
      const out = row.output ? (JSON.parse(row.output) as Record<string, unknown>) : {};
      if ('ask' in step) this.save(step.ask.save_as, out.answer ?? null);
      if ('llm' in step) this.save(step.llm.save_as, out.text ?? null);
      return 'done';
    }
    try {
      // An action's row is written once the gate answered (one commit fewer per action); until then
      // the gate's audit entry, whose actor is the step's key, is the record that it was asked.
      if ('action' in step) return 'target' in step.action ? await this.selection(step, path, row) : await this.action(step, path, row);
      // Steps that finish at once write their row once, when done; the others first.
      if ('notify' in step) return this.notify(step, path);
      if ('checkin' in step) return this.checkin(step, path);
      if ('llm' in step) {
        // The facts are the rendered template (states, times, names from the hub); the model
        // only words them, and anything it adds is caught by the summaries' own check.
        const template = renderTemplate(step.llm.template, this.scope());
        const facts = template
          .split(/\n|(?<=[.!?])\s+/)
          .map((f) => f.trim())
          .filter(Boolean);
        const out =
          this.deps.compose && !this.dry
            ? await this.deps.compose({ template, facts }).catch(() => ({ text: template, by: 'template' as const }))
            : { text: template, by: 'template' as const };
        this.save(step.llm.save_as, out.text);
        return this.done(path, out);
      }
      row ??= this.startStep(path, kind);
      if ('wait' in step) return this.wait(step, path, row);
      if ('ask' in step) return this.ask(step, path, row);
      if ('if' in step || 'choose' in step) return await this.branch(step, path, row);
      return await this.parallel(step.parallel, path, row);
    } catch (err) {
      return this.fail(path, errorMessage(err));
    }
  }

  private async branch(step: Extract<Step, { if: unknown } | { choose: unknown }>, path: string, row: StepRow): Promise<Outcome> {
    let chosen = row.output ? (JSON.parse(row.output) as { branch: string }).branch : undefined;
    if (chosen === undefined) {
      const ctx = {
        entities: this.deps.entities,
        now: this.now,
        tz: this.tz,
        scope: (names?: ReadonlySet<string>) => this.scope(names),
        demo: this.engine.ctx.settings.get().hub.demo,
      };
      if ('if' in step) chosen = conditionHolds(step.if, ctx) ? 'then' : 'else';
      else {
        const i = step.choose.findIndex((c) => c.when.every((w) => conditionHolds(w, ctx)));
        chosen = i >= 0 ? `when${i}` : 'default';
      }
      this.store.updateStep(this.run.id, path, { output: { branch: chosen } });
    }
    const steps =
      'if' in step ? (chosen === 'then' ? step.then : step.else) : chosen === 'default' ? step.default : step.choose[Number(chosen.slice(4))]!.steps;
    const outcome = await this.walk(steps, `${path}.${chosen}`);
    if (outcome === 'done') this.done(path, { branch: chosen });
    return outcome;
  }

  private async parallel(branches: Step[][], path: string, row: StepRow): Promise<Outcome> {
    const outcomes = await Promise.all(branches.map((b, i) => this.walk(b, `${path}.branch${i}`)));
    if (outcomes.includes('failed')) {
      this.store.updateStep(this.run.id, path, { state: 'failed', error: 'a branch failed', finished_at: this.now });
      return 'failed';
    }
    if (outcomes.includes('waiting')) {
      if (row.state !== 'waiting') this.store.updateStep(this.run.id, path, { state: 'waiting' });
      return 'waiting';
    }
    return this.done(path, { branches: branches.length });
  }

  // ---- action -------------------------------------------------------------------------------

  /**
   * An action on a selection (`target: {domain: lock}`): resolved against the registry once, when
   * the step first runs, and written down, so a resumed run acts on the same entities. Each entity
   * is its own action step below this one (its own gate request, audited under its own key).
   */
  private async selection(step: Extract<Step, { action: unknown }>, path: string, row: StepRow | undefined): Promise<Outcome> {
    const { target, operation, params } = step.action as Extract<StepShapes['action']['action'], { target: unknown }>;
    let targets = row?.output ? (JSON.parse(row.output) as { targets?: string[] }).targets : undefined;
    if (!targets) {
      targets = resolveSelector(target, this.deps.entities.list(), this.engine.ctx.settings.get().hub.demo);
      row ??= this.startStep(path, 'action');
      this.store.updateStep(this.run.id, path, { output: { targets, selection: describeSelector(target) } });
    }
    if (targets.length === 0) return this.done(path, { targets, note: `Nothing to do: no ${describeSelector(target).slice(6)} in the home.` });
    const outcomes = await Promise.all(
      targets.map((entity_id, i) => this.one({ action: { entity_id, operation, params }, ...(step.reason ? { reason: step.reason } : {}) }, `${path}.${i}`)),
    );
    const output = { targets, selection: describeSelector(target) };
    if (outcomes.includes('failed')) return this.fail(path, 'the action failed on one or more of the selected entities', { output });
    if (outcomes.includes('waiting')) {
      if (row?.state !== 'waiting') this.store.updateStep(this.run.id, path, { state: 'waiting' });
      return 'waiting';
    }
    return this.done(path, output);
  }

  private async action(step: Extract<Step, { action: unknown }>, path: string, row: StepRow | undefined): Promise<Outcome> {
    const { entity_id, operation, params } = step.action as Extract<StepShapes['action']['action'], { entity_id: unknown }>;
    if (this.dry) return this.done(path, { dry_run: true, would: `${operation} ${entity_id}`, params });
    const actor = stepActor(this.run.id, path);
    if (row?.ref) return this.envelope(path, row.ref);
    // Asked before, by a pass that never wrote its answer down (a crash)? The trail says what the gate did.
    const found = this.engine.mayHaveActed(this.run.id) ? this.recover(actor) : undefined;
    if (found) return found.kind === 'envelope' ? this.envelope(path, found.id) : found.outcome(path);
    // The gate's last entries (sent, confirmed) and this step's row share one group commit.
    let recorded: Promise<unknown> | undefined;
    const out = await this.deps.gate.request(
      {
        action: { entity_id, operation, params },
        origin: { member_id: null, channel: 'workflow', actor },
        reason: step.reason ?? `workflow run ${this.run.id}`,
      },
      {
        recorded: (commit) => {
          recorded = commit;
        },
      },
    );
    const outcome = this.afterGate(path, out, { entity_id, operation });
    if (recorded) {
      recorded.catch(() => {}); // awaited by written()
      this.writes.push(recorded);
    }
    return outcome;
  }

  /** `what`: the step's entity and operation, kept in its output so that a run's timeline can say "Lock Front door". */
  private afterGate(path: string, out: GateOutcome, what: { entity_id: string; operation: string }): Outcome {
    if (out.status === 'pending') return this.pending(path, out.approval_id, what);
    if (out.status === 'refused') return this.fail(path, `${out.message} (${out.code})`, { output: { status: 'refused', ...what } });
    const output = { status: out.status, action_id: out.action_id, detail: out.detail, ...what };
    if (out.status === 'failed')
      return this.fail(path, `${out.detail.message}${out.detail.code ? ` (${out.detail.code})` : ''}`, { output, ref: out.action_id });
    return this.done(path, output, out.action_id);
  }

  private pending(path: string, approvalId: string, what?: { entity_id: string; operation: string }): Outcome {
    this.store.finishStep(
      this.run.id,
      path,
      'action',
      this.now,
      { state: 'waiting', ref: approvalId, output: { status: 'pending', approval_id: approvalId, ...what }, finished_at: null },
      this.firstWrite(path),
    );
    return 'waiting';
  }

  /** A high-risk step: waits for its envelope, and goes on or fails with it. A workflow never approves. */
  private envelope(path: string, id: string): Outcome {
    const env = this.deps.gate.get(id);
    if (!env) return this.fail(path, `the approval ${id} is gone`);
    const what = { entity_id: env.action.entity_id, operation: env.action.operation };
    if (!FINAL_STATES.includes(env.state)) return this.pending(path, id, what);
    const output = { status: env.state, approval_id: id, ...what, ...(env.outcome ? { detail: env.outcome } : {}) };
    if (env.state === 'executed') return this.done(path, output, id);
    return this.fail(path, `the approval ended ${env.state}${env.outcome ? `: ${env.outcome.message}` : ''}`, { output, ref: id });
  }

  /** After a crash mid-action: what the gate did with this step's key, from the audit trail. */
  private recover(actor: string): { kind: 'envelope'; id: string } | { kind: 'ran'; outcome: (path: string) => Outcome } | undefined {
    const entries = this.engine.ctx.audit.list({ actor, limit: 20 }).entries;
    const opened = entries.find((e) => e.kind === 'approval.requested');
    if (opened?.subject) return { kind: 'envelope', id: opened.subject };
    const refused = entries.find((e) => e.kind === 'action.refused');
    if (refused) return { kind: 'ran', outcome: (path) => this.fail(path, `refused: ${String((refused.data as { message?: string }).message ?? '')}`) };
    const asked = entries.find((e) => e.kind === 'action.requested');
    if (!asked) return undefined;
    const end = entries.find((e) => e.kind === 'action.confirmed' || e.kind === 'action.unconfirmed' || e.kind === 'action.failed');
    return {
      kind: 'ran',
      outcome: (path) =>
        end?.kind === 'action.failed'
          ? this.fail(path, 'the action failed before the restart; not repeated')
          : this.done(
              path,
              { status: end ? end.kind.slice(7) : 'unconfirmed', action_id: asked.subject, note: 'the hub restarted while this step ran; it was not repeated' },
              asked.subject ?? undefined,
            ),
    };
  }

  // ---- waits ---------------------------------------------------------------------------------

  private wait(step: Extract<Step, { wait: unknown }>, path: string, row: StepRow): Outcome {
    const w = step.wait;
    const out = row.output ? (JSON.parse(row.output) as { due_at?: number }) : undefined;
    if (this.dry) return this.done(path, { dry_run: true, would_wait: w });
    if (typeof w === 'object' && 'state' in w) {
      if (this.deps.entities.get(w.state)?.state === w.to) {
        this.engine.forgetWaiter(this.run.id);
        return this.done(path, { reached: w.to });
      }
      const due = out?.due_at ?? this.now + w.timeout;
      if (this.now >= due) return this.done(path, { timed_out: true });
      if (!out) this.hold(path, due);
      let set = this.engine.stateWaiters.get(w.state);
      if (!set) this.engine.stateWaiters.set(w.state, (set = new Set()));
      set.add(this.run.id);
      return 'waiting';
    }
    const due = out?.due_at ?? (typeof w === 'number' ? this.now + w : this.engine.nextWallTime(w.until, this.now));
    if (this.now >= due) return this.done(path, { due_at: due, waited_until: new Date(due).toISOString() });
    if (!out) this.hold(path, due);
    return 'waiting';
  }

  /** The step waits until `due`: its row and its timer in one transaction. */
  private hold(path: string, due: number, extra: Record<string, unknown> = {}): void {
    this.store.transaction(() => {
      this.store.updateStep(this.run.id, path, { state: 'waiting', output: { due_at: due, ...extra } });
      this.store.setTimer({ id: newId('wft'), kind: 'resume', workflow_id: this.run.workflow_id, run_id: this.run.id, path, due_at: due, data: '{}' });
    });
  }

  // ---- people --------------------------------------------------------------------------------

  private notify(step: Extract<Step, { notify: unknown }>, path: string): Outcome {
    const text = renderTemplate(step.notify.text, this.scope());
    if (this.dry) return this.done(path, { dry_run: true, would_send: text, to: step.notify.to });
    return this.store.transaction(() => {
      const r = this.deps.router.notify({
        kind: 'workflow.notify',
        severity: URGENCY[step.notify.urgency],
        text,
        audience: this.engine.audience(step.notify.to),
        dedup_key: stepActor(this.run.id, path),
        subject: `workflow:${this.run.workflow_id}`,
      });
      return this.done(path, { text, recipients: r.recipients }, r.id);
    });
  }

  /** `checkin`: the elder's check-in call starts now; the step's output is the attempt's id. */
  private checkin(step: Extract<Step, { checkin: unknown }>, path: string): Outcome {
    const who = step.checkin;
    if (this.dry) return this.done(path, { dry_run: true, would_call: who.member_id ?? who.name });
    const port = this.deps.checkins;
    if (!port) return this.fail(path, 'check-in calls are not available on this hub');
    return this.store.transaction(() => this.done(path, port.start(who, stepActor(this.run.id, path))));
  }

  private ask(step: Extract<Step, { ask: unknown }>, path: string, row: StepRow): Outcome {
    const a = step.ask;
    const out = row.output ? (JSON.parse(row.output) as { due_at: number }) : undefined;
    if (this.dry) {
      this.save(a.save_as, null);
      return this.done(path, { dry_run: true, would_ask: a.text, choices: a.choices, answer: null });
    }
    if (out && this.now >= out.due_at) {
      this.save(a.save_as, null);
      return this.done(path, { answer: null, timed_out: true });
    }
    if (out) return 'waiting';
    const text = renderTemplate(a.text, this.scope());
    const due = this.now + a.timeout;
    this.store.transaction(() => {
      const r = this.deps.router.notify({
        kind: 'workflow.ask',
        severity: 'warning',
        text,
        actions: a.choices.map((c, i) => ({ kind: 'choice' as const, label: c.slice(0, 40), value: String(i) })),
        audience: this.engine.audience(a.to),
        dedup_key: stepActor(this.run.id, path),
        subject: `wfask:${this.run.id}:${path}`,
      });
      this.store.updateStep(this.run.id, path, { ref: r.id });
      this.hold(path, due, { question: text, choices: a.choices });
    });
    return 'waiting';
  }
}
