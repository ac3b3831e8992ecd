import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HubContext } from '../part/context.js';
import type { Service, ComponentHealth } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { LanBroker } from '../devices/mqtt/broker.js';
import { errorMessage, notFound } from '../core/errors.js';
import { isoTime } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Origin } from '../audit/entry.js';
import { RunEngine, type CheckinStarter, type EngineDeps } from './engine.js';
import { parseWorkflow, WorkflowInvalid } from './parse.js';
import { conditionHolds, snapshot } from './snapshot.js';
import { TriggerWatcher, type Fired } from './triggers.js';
import { WorkflowStore, type RunRow, type RunView, type WorkflowRow } from './store.js';
import type { WorkflowDefinition } from './schema.js';
import { workflowsErrors } from './errors.js';

export const PACKS_DIR = fileURLToPath(new URL('../../config/workflows/packs', import.meta.url));
const TICK_CAP_MS = 30_000;
/** Finished runs beyond RUNS_KEPT are pruned once every this many new runs (not on every run: a burst's path stays short). */
const PRUNE_EVERY = 64;

export interface WorkflowView {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  origin: WorkflowRow['origin'];
  mode: WorkflowDefinition['mode'];
  source: string;
  triggers: string[];
  created_at: string;
  updated_at: string;
  last_run: { id: string; state: RunRow['state']; started_at: string; finished_at: string | null; error: string | null } | null;
  problem: string | null;
}

export interface WorkflowsDeps extends EngineDeps {
  broker?: LanBroker;
  /** Where the owner's workflow files are (`config/workflows` beside the working directory by default). */
  dir?: string;
  packsDir?: string;
}

interface Who {
  actor: string;
  origin: Origin;
}

/**
 * The workflows part's service: definitions (API, files, packs), the trigger watcher and the
 * run engine, and the one tick that processes whatever is due. The tick's timer is armed for
 * the earliest stored due time (at most 30 s ahead), so a blocked event loop or a clock change
 * only makes a slot late, never lost or doubled.
 */
export class WorkflowsService implements Service {
  readonly name = 'workflows';
  readonly store: WorkflowStore;
  readonly engine: RunEngine;
  readonly triggers: TriggerWatcher;
  private readonly log: Logger;
  private readonly defs = new Map<string, WorkflowDefinition>();
  /** Each definition as JSON, made once: every run's row carries the definition it started with. */
  private readonly defJson = new WeakMap<WorkflowDefinition, string>();
  /** Workflows switched on whose definition parses (set by rearm; each trigger asks). */
  private enabled = new Set<string>();
  private readonly off: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private startedAt = 0;
  private readonly warned = new Map<string, number>();
  /**
   * Triggers of a `parallel` workflow that came while `max` runs were running, in order, each
   * started as a run ends (bounded by `max_queued`; in memory: none of them has acted yet).
   * `dropped` counts those refused since the queue last emptied (told once per burst).
   */
  private readonly held = new Map<string, { queue: Fired[]; dropped: number }>();
  /** Runs inserted per workflow since the last prune (finished runs are pruned every PRUNE_EVERY). */
  private readonly inserted = new Map<string, number>();
  private stopped = true;

  /** The check-ins part registers the `checkin` step's port here (it sits above workflows). */
  useCheckins(port: CheckinStarter): void {
    this.deps.checkins = port;
  }

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: WorkflowsDeps,
  ) {
    this.log = ctx.log.child({ part: 'workflows' });
    this.store = new WorkflowStore(ctx.store.db);
    this.engine = new RunEngine(ctx, this.store, deps);
    this.engine.onFinished = (run) => this.finished(run);
    this.triggers = new TriggerWatcher(
      ctx,
      this.store,
      deps.broker,
      (id, fired) => void this.trigger(id, fired),
      () => this.wake(),
    );
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  start(): void {
    this.stopped = false;
    this.startedAt = this.ctx.clock.now();
    this.loadPacks();
    this.loadFiles();
    for (const row of this.store.all()) this.parse(row);
    this.rearm(true);
    const bus = this.ctx.bus;
    this.off.push(
      bus.on('entity.state_changed', ({ entity, old_state, old_available }) => {
        this.triggers.stateChanged(entity, old_state);
        if (old_available === true && !entity.available) this.triggers.event('device.unavailable', { entity_id: entity.id });
        if (old_available === false && entity.available) this.triggers.event('device.available', { entity_id: entity.id });
        for (const run of this.engine.stateWaiters.get(entity.id) ?? []) void this.engine.advance(run);
      }),
      bus.on('approval.finished', (env) => {
        if (['expired', 'denied', 'failed'].includes(env.state))
          this.triggers.event(`approval.${env.state}`, { approval_id: env.id, entity_id: env.action.entity_id });
        for (const row of this.ctx.store.db.prepare("SELECT run_id FROM workflow_steps WHERE ref = ? AND state = 'waiting'").all(env.id) as {
          run_id: string;
        }[])
          void this.engine.advance(row.run_id);
      }),
      bus.on('notification.answered', (a) => this.answered(a.id, a.by, a.via, a.value, a.label)),
      bus.on('notification.created', (n) => {
        if (n.kind === 'alert.health') this.triggers.event('hub.degraded', { text: n.text });
      }),
      bus.on('gate.alert', (a) => this.triggers.event('gate.alert', { code: a.code, message: a.message })),
      bus.on('hub.started', () => this.triggers.event('hub.started', {})),
      bus.on('checkin.missed', (m) => this.triggers.event('checkin.missed', m)),
    );
    // Every open run resumes: its waits keep their stored due times.
    for (const run of this.store.openRuns()) void this.engine.resume(run.id);
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.off.splice(0)) off();
    this.triggers.disarm();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.held.clear();
    await this.ticking;
    await this.engine.idle();
  }

  health(): ComponentHealth {
    const open = this.store.openRuns().length;
    const problems = [...this.triggers.problems.values()];
    return {
      status: problems.length ? 'degraded' : 'ok',
      detail: problems[0] ?? `${[...this.defs.keys()].length} workflows, ${open} run${open === 1 ? '' : 's'} open`,
    };
  }

  // ---- the tick -------------------------------------------------------------------------------

  /** Processes everything due now; resolves when the runs it moved have settled. */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        const now = this.ctx.clock.now();
        for (const timer of this.store.due(now)) {
          if (timer.kind === 'resume') {
            this.store.clearTimer(timer.workflow_id, 'resume', timer.run_id, timer.path);
            if (timer.run_id) void this.engine.advance(timer.run_id);
            continue;
          }
          const def = this.enabledDef(timer.workflow_id);
          if (!def) {
            this.store.clearTimer(timer.workflow_id, timer.kind, null, timer.path);
            continue;
          }
          let caughtUp = false;
          this.triggers.due(timer, def, this.deps.entities, (slot) => {
            if (slot >= this.startedAt - 1000) return true; // came due while we ran (late, perhaps, but not missed)
            if (def.catch_up === 'skip' || caughtUp) return false;
            caughtUp = true;
            return true;
          });
        }
        await this.engine.idle();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'workflow tick failed');
      } finally {
        this.ticking = undefined;
        this.arm();
      }
    })();
    return this.ticking;
  }

  wake(): void {
    if (!this.stopped) void this.tick();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const next = this.store.nextDue();
    if (next === undefined) return;
    const wait = Math.min(Math.max(next - this.ctx.clock.now(), 0), TICK_CAP_MS);
    this.timer = setTimeout(() => this.wake(), wait);
    this.timer.unref();
  }

  // ---- runs ---------------------------------------------------------------------------------

  /**
   * Starts a run if the workflow's conditions, mode and rate limit allow; the run id or undefined.
   * A manual run (API, CLI, UI) skips the conditions; a dry run acts on nothing.
   */
  async trigger(workflowId: string, fired: Fired, options: { dry_run?: boolean; manual?: boolean; held?: boolean } = {}): Promise<string | undefined> {
    const def = options.manual ? this.defs.get(workflowId) : this.enabledDef(workflowId);
    if (!def) return undefined;
    const now = this.ctx.clock.now();
    // A held trigger's conditions held when it fired; later triggers wait behind the held ones.
    if (!options.held && !options.manual && !options.dry_run && def.mode === 'parallel' && this.held.has(workflowId)) {
      if (this.conditionsHold(workflowId, def, fired, now)) this.hold(workflowId, def, fired);
      return undefined;
    }
    if (!options.manual && !options.held && !this.conditionsHold(workflowId, def, fired, now)) return undefined;
    // Runs started this turn, whose rows wait for the group commit, count as running.
    const starting = options.dry_run ? 0 : this.engine.startingOf(workflowId);
    if (!options.dry_run && this.store.countRecent(workflowId, now - 60_000) + starting >= def.max_runs_per_minute) {
      this.runaway(workflowId, def);
      return undefined;
    }
    const { open, active } = this.store.openCounts(workflowId, options.dry_run === true);
    let queued = false;
    if (!options.dry_run && active + starting > 0) {
      if (def.mode === 'single') {
        this.log.debug({ workflow: workflowId }, 'workflow already running (mode single); trigger ignored');
        return undefined;
      }
      if (def.mode === 'restart')
        for (const r of this.store.openRuns(workflowId)) if (r.queued === 0 && r.dry_run === 0) this.cancel(r.id, 'restarted by a new trigger');
      if (def.mode === 'parallel' && active + starting >= def.max) {
        this.hold(workflowId, def, fired);
        return undefined;
      }
      if (def.mode === 'queued') {
        if (open + starting >= def.max) return undefined;
        queued = true;
      }
    }
    const row: RunRow = {
      id: newId('wfr'),
      workflow_id: workflowId,
      state: queued ? 'waiting' : 'running',
      queued: queued ? 1 : 0,
      dry_run: options.dry_run ? 1 : 0,
      trigger: JSON.stringify({ ...fired, at: isoTime(now) }),
      definition: this.definitionJson(def),
      started_at: now,
      finished_at: null,
      error: null,
    };
    const n = (this.inserted.get(workflowId) ?? 0) + 1;
    this.inserted.set(workflowId, n % PRUNE_EVERY);
    const write = () => {
      this.store.insertRun(row);
      if (n >= PRUNE_EVERY) this.store.prune(workflowId);
    };
    if (queued || def.mode === 'restart') {
      try {
        this.store.transaction(write);
      } catch (err) {
        this.store.forgetRun(row);
        throw err;
      }
      return row.id;
    }
    // The run's row goes into this turn's group commit, with the audit entry of its first action:
    // that action is sent only once both are on disk (engine.start).
    await this.engine.start(row, this.store.later(write));
    return row.id;
  }

  private definitionJson(def: WorkflowDefinition): string {
    let json = this.defJson.get(def);
    if (json === undefined) this.defJson.set(def, (json = JSON.stringify(def)));
    return json;
  }

  /** "Run now" from the API, the CLI or the UI: 202 with the run id, or why not. */
  async runNow(workflowId: string, options: { dry_run: boolean; by: string }): Promise<string> {
    this.mustGet(workflowId);
    if (!this.defs.has(workflowId)) throw workflowsErrors.error('WORKFLOW_INVALID', 'fix the definition before running it');
    const id = await this.trigger(workflowId, { kind: 'manual', by: options.by }, { manual: true, dry_run: options.dry_run });
    if (!id) throw workflowsErrors.error('WORKFLOW_BUSY', 'it is already running (or ran too often in the last minute); try again when the run ends');
    return id;
  }

  /** The name of a valid definition, or WORKFLOW_INVALID. */
  validate(source: string): string {
    return parseWorkflow(source).name;
  }

  cancel(runId: string, why: string): void {
    const run = this.store.run(runId);
    if (!run || (run.state !== 'running' && run.state !== 'waiting')) return;
    this.store.transaction(() => {
      this.store.setRunState(runId, 'cancelled', this.ctx.clock.now(), why);
      this.store.clearRunTimers(runId);
    });
    this.engine.forget(runId);
    this.release(run.workflow_id); // a slot is free
  }

  private finished(run: RunRow): void {
    if (this.held.has(run.workflow_id)) return this.release(run.workflow_id);
    const next = this.store.nextQueued(run.workflow_id);
    if (next) {
      this.store.setRunState(next, 'running', this.ctx.clock.now());
      void this.engine.advance(next);
    }
  }

  private conditionsHold(workflowId: string, def: WorkflowDefinition, fired: Fired, now: number): boolean {
    const tz = this.ctx.settings.get().hub.timezone;
    const ctx = {
      entities: this.deps.entities,
      now,
      tz,
      demo: this.ctx.settings.get().hub.demo,
      scope: (names?: ReadonlySet<string>) => snapshot(this.deps.entities, now, tz, { trigger: fired }, names),
    };
    try {
      return def.conditions.every((c) => conditionHolds(c, ctx));
    } catch (err) {
      this.log.warn({ workflow: workflowId, err: errorMessage(err) }, 'a workflow condition could not be evaluated; not run');
      return false;
    }
  }

  /** A `parallel` workflow at `max`: the trigger waits its turn, or is dropped (and told, once per burst) when too many wait. */
  private hold(workflowId: string, def: WorkflowDefinition, fired: Fired): void {
    let h = this.held.get(workflowId);
    if (!h) this.held.set(workflowId, (h = { queue: [], dropped: 0 }));
    if (h.queue.length < def.max_queued) {
      h.queue.push(fired);
      return;
    }
    if (h.dropped++ === 0)
      this.log.warn(
        { workflow: workflowId, max: def.max, max_queued: def.max_queued },
        'workflow busy: its runs and waiting triggers are at their limits; further triggers are dropped until it catches up',
      );
  }

  /** A run of a workflow with held triggers ended: start the next ones that fit; told how many were dropped once they all ran. */
  private release(workflowId: string): void {
    const h = this.held.get(workflowId);
    if (!h) return;
    const def = this.enabledDef(workflowId);
    if (def && h.queue.length > 0) {
      // As many as there are free runs, counted once (each start joins `startingOf` at once).
      const free = def.max - this.store.openCounts(workflowId, false).active - this.engine.startingOf(workflowId);
      for (let i = 0; i < free && h.queue.length > 0; i++) void this.trigger(workflowId, h.queue.shift()!, { held: true });
      if (h.queue.length > 0) return;
    }
    this.held.delete(workflowId);
    if (h.dropped > 0 && def) {
      this.ctx.audit.append({
        actor: `workflow:${workflowId}`,
        origin: 'workflow',
        kind: 'workflow.dropped',
        subject: workflowId,
        data: { dropped: h.dropped, max: def.max, max_queued: def.max_queued },
      });
      this.log.warn({ workflow: workflowId, dropped: h.dropped }, 'workflow caught up; triggers were dropped while it was busy');
    }
  }

  private answered(notificationId: string, by: string, via: string, value: string, label: string): void {
    const step = this.ctx.store.db
      .prepare("SELECT run_id, path FROM workflow_steps WHERE ref = ? AND state = 'waiting' AND kind = 'ask'")
      .get(notificationId) as { run_id: string; path: string } | undefined;
    if (!step) return;
    const now = this.ctx.clock.now();
    this.store.transaction(() => {
      this.store.updateStep(step.run_id, step.path, { state: 'done', output: { answer: label, choice: Number(value), by, via }, finished_at: now });
      this.store.clearTimer(this.store.run(step.run_id)!.workflow_id, 'resume', step.run_id, step.path);
    });
    void this.engine.advance(step.run_id);
  }

  /** A runaway (a workflow that keeps triggering itself): refused, and the owner told once a minute. */
  private runaway(workflowId: string, def: WorkflowDefinition): void {
    const now = this.ctx.clock.now();
    if ((this.warned.get(workflowId) ?? 0) > now - 60_000) return;
    this.warned.set(workflowId, now);
    this.ctx.audit.append({
      actor: `workflow:${workflowId}`,
      origin: 'workflow',
      kind: 'workflow.rate_limited',
      subject: workflowId,
      data: { max_runs_per_minute: def.max_runs_per_minute },
    });
    this.deps.router.notify({
      kind: 'workflow.runaway',
      severity: 'warning',
      text: `The routine "${def.name}" started more than ${def.max_runs_per_minute} times in a minute, so I stopped starting it for now. It may be triggering itself; please look at it.`,
      audience: { roles: ['owner'] },
      dedup_key: `workflow.runaway:${workflowId}`,
    });
  }

  run(id: string): RunView | undefined {
    const r = this.store.run(id);
    return r ? this.store.view(r) : undefined;
  }

  runs(workflowId: string, limit = 50): RunView[] {
    this.mustGet(workflowId);
    return this.store.runs(workflowId, limit).map((r) => this.store.view(r));
  }

  // ---- definitions ----------------------------------------------------------------------------

  list(): WorkflowView[] {
    return this.store.all().map((r) => this.view(r));
  }

  get(id: string): WorkflowView {
    return this.view(this.mustGet(id));
  }

  private mustGet(id: string): WorkflowRow {
    const row = this.store.get(id);
    if (!row) throw notFound('workflow', id);
    return row;
  }

  create(source: string, who: Who, enabled = true): WorkflowView {
    const def = parseWorkflow(source);
    const now = this.ctx.clock.now();
    const row: WorkflowRow = { id: newId('wf'), name: def.name, source, enabled: enabled ? 1 : 0, origin: 'api', file: null, created_at: now, updated_at: now };
    this.ctx.audit.withEntry({ actor: who.actor, origin: who.origin, kind: 'workflow.created', subject: row.id, data: { name: def.name, enabled } }, () =>
      this.store.insert(row),
    );
    this.defs.set(row.id, def);
    this.rearm();
    return this.view(row);
  }

  replace(id: string, source: string, who: Who): WorkflowView {
    this.mustGet(id);
    const def = parseWorkflow(source);
    this.ctx.audit.withEntry({ actor: who.actor, origin: who.origin, kind: 'workflow.updated', subject: id, data: { name: def.name } }, () =>
      this.store.update(id, { name: def.name, source }, this.ctx.clock.now()),
    );
    this.defs.set(id, def);
    this.store.clearTimers(id, 'schedule');
    this.store.clearTimers(id, 'for');
    this.rearm();
    return this.get(id);
  }

  setEnabled(id: string, enabled: boolean, who: Who): WorkflowView {
    const row = this.mustGet(id);
    if (enabled && !this.defs.has(id)) throw workflowsErrors.error('WORKFLOW_INVALID', 'fix the definition before switching it on');
    this.ctx.audit.withEntry(
      { actor: who.actor, origin: who.origin, kind: enabled ? 'workflow.enabled' : 'workflow.disabled', subject: id, data: { name: row.name } },
      () => this.store.update(id, { enabled: enabled ? 1 : 0 }, this.ctx.clock.now()),
    );
    if (!enabled) {
      this.store.clearTimers(id, 'schedule');
      this.store.clearTimers(id, 'for');
    }
    this.rearm();
    return this.get(id);
  }

  delete(id: string, who: Who): void {
    const row = this.mustGet(id);
    for (const run of this.store.openRuns(id)) this.cancel(run.id, 'the workflow was deleted');
    this.ctx.audit.withEntry({ actor: who.actor, origin: who.origin, kind: 'workflow.deleted', subject: id, data: { name: row.name } }, () =>
      this.store.delete(id),
    );
    this.defs.delete(id);
    this.rearm();
  }

  private enabledDef(id: string): WorkflowDefinition | undefined {
    return this.enabled.has(id) ? this.defs.get(id) : undefined;
  }

  /** After any change to which workflows exist, parse or are on: the triggers and `enabled` follow the table. */
  private rearm(startup = false): void {
    const armed = this.store
      .all()
      .filter((r) => r.enabled && this.defs.has(r.id))
      .map((r) => ({ id: r.id, def: this.defs.get(r.id)! }));
    this.enabled = new Set(armed.map((a) => a.id));
    if (!this.stopped) this.triggers.arm(armed, startup);
    this.arm();
  }

  private parse(row: WorkflowRow): void {
    try {
      this.defs.set(row.id, parseWorkflow(row.source));
    } catch (err) {
      this.defs.delete(row.id);
      this.log.warn({ workflow: row.id, err: errorMessage(err) }, 'stored workflow does not parse; it stays off');
    }
  }

  private view(row: WorkflowRow): WorkflowView {
    const def = this.defs.get(row.id);
    let problem: string | null = null;
    if (!def) {
      try {
        parseWorkflow(row.source);
      } catch (err) {
        problem = errorMessage(err);
      }
    } else if (def.triggers.some((t) => 'sun' in t) && this.ctx.settings.get().hub.latitude === null)
      problem = "sunrise and sunset need the home's location (hub.latitude and hub.longitude)";
    const last = this.store.lastRun(row.id);
    return {
      id: row.id,
      name: row.name,
      description: def?.description ?? null,
      enabled: row.enabled === 1,
      origin: row.origin,
      mode: def?.mode ?? 'single',
      source: row.source,
      triggers: def?.triggers.map((t) => Object.keys(t)[0]!) ?? [],
      created_at: isoTime(row.created_at),
      updated_at: isoTime(row.updated_at),
      last_run: last
        ? {
            id: last.id,
            state: last.state,
            started_at: isoTime(last.started_at),
            finished_at: last.finished_at === null ? null : isoTime(last.finished_at),
            error: last.error,
          }
        : null,
      problem,
    };
  }

  // ---- files and packs ------------------------------------------------------------------------

  /** The owner's files: each `*.yaml` in the directory is a workflow, switched on when first seen. */
  private loadFiles(): void {
    const dir = resolve(this.deps.dir ?? 'config/workflows');
    for (const file of yamlFiles(dir)) this.upsertFile(join(dir, file), 'file', true);
  }

  /** The built-in packs: off until the owner switches them on; a newer version's text replaces the old. */
  private loadPacks(): void {
    const dir = this.deps.packsDir ?? PACKS_DIR;
    for (const file of yamlFiles(dir)) this.upsertFile(join(dir, file), 'pack', false);
  }

  private upsertFile(path: string, origin: 'file' | 'pack', enabled: boolean): void {
    const source = readFileSync(path, 'utf8');
    const key = origin === 'pack' ? `pack:${basename(path)}` : path;
    let name: string;
    try {
      name = parseWorkflow(source).name;
    } catch (err) {
      const where = err instanceof WorkflowInvalid ? err.message : errorMessage(err);
      this.log.warn({ file: path, err: where }, 'workflow file is invalid; skipped');
      return;
    }
    const now = this.ctx.clock.now();
    const existing = this.store.byFile(key);
    if (existing) {
      if (existing.source !== source) this.store.update(existing.id, { name, source }, now);
      return;
    }
    const id =
      origin === 'pack'
        ? `pack_${basename(path)
            .replace(/\.ya?ml$/, '')
            .replace(/[^a-z0-9_]/g, '_')}`
        : newId('wf');
    this.store.insert({ id, name, source, enabled: enabled ? 1 : 0, origin, file: key, created_at: now, updated_at: now });
  }
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
