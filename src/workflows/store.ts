import { z } from 'zod';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import { isoTime } from '../core/clock.js';
import { commitsFor } from '../store/commits.js';
import { statementCache } from '../store/statements.js';

export const runStateSchema = z.enum(['running', 'waiting', 'done', 'failed', 'cancelled']);
export type RunState = z.infer<typeof runStateSchema>;
export const stepStateSchema = z.enum(['running', 'waiting', 'done', 'failed', 'skipped']);
export type StepState = z.infer<typeof stepStateSchema>;

export const stepViewSchema = z.object({
  index: z.number().describe('order in which the step started'),
  path: z.string().describe('where the step is in the definition: 2, 4.then.0, 5.branch1.0'),
  kind: z.string(),
  state: stepStateSchema,
  started_at: z.string(),
  finished_at: z.string().nullable(),
  output: z.unknown().optional(),
  error: z.string().optional(),
  ref: z.string().optional().describe('the gate action or approval envelope, the notification'),
});
export type StepView = z.infer<typeof stepViewSchema>;

export const runViewSchema = z.object({
  id: z.string(),
  workflow_id: z.string(),
  state: runStateSchema,
  queued: z.boolean(),
  dry_run: z.boolean(),
  trigger: z.record(z.string(), z.unknown()),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  error: z.string().nullable(),
  steps: z.array(stepViewSchema),
});
export type RunView = z.infer<typeof runViewSchema>;

export interface WorkflowRow {
  id: string;
  name: string;
  source: string;
  enabled: number;
  origin: 'api' | 'file' | 'pack';
  file: string | null;
  created_at: number;
  updated_at: number;
}
export interface RunRow {
  id: string;
  workflow_id: string;
  state: RunState;
  queued: number;
  dry_run: number;
  trigger: string;
  definition: string;
  started_at: number;
  finished_at: number | null;
  error: string | null;
}
export interface StepRow {
  run_id: string;
  path: string;
  seq: number;
  kind: string;
  state: StepState;
  started_at: number;
  finished_at: number | null;
  output: string | null;
  error: string | null;
  ref: string | null;
}
export type TimerKind = 'schedule' | 'for' | 'resume';
export interface TimerRow {
  id: string;
  kind: TimerKind;
  workflow_id: string;
  run_id: string | null;
  path: string | null;
  due_at: number;
  data: string;
}

interface OpenRun {
  state: 'running' | 'waiting';
  queued: boolean;
  dry: boolean;
  started_at: number;
}

/** What a step's row records as it moves; a field left out keeps its value. */
type StepFields = { state?: StepState; output?: unknown; error?: string | null; ref?: string | null; finished_at?: number | null };
const RECENT_MS = 60_000;

/** Runs kept per workflow; older finished ones are pruned. */
export const RUNS_KEPT = 200;

/**
 * The workflows' rows on the FULL connection. `transaction` commits at once (with whatever waits
 * for the group commit before it); `later` joins this turn's group commit (src/store/commits.ts).
 */
export class WorkflowStore {
  /**
   * Open runs (running or waiting) by workflow, kept beside the table: every trigger asks how many
   * are open, and a query per trigger was a large part of a busy workflow's time. The hub is the
   * only writer of runs, so the table is read once (at first use) and every write below keeps
   * this in step; `forgetRun` undoes an insert whose commit failed.
   */
  private open?: Map<string, Map<string, OpenRun>>;
  /** Start times of the last minute's runs (dry runs aside), by workflow, oldest first; read from the table at first use. */
  private readonly recent = new Map<string, number[]>();

  /** A prepared statement, compiled once (a run's path asks the same few dozen many times). */
  private readonly q: (sql: string) => Statement;

  constructor(readonly db: Db) {
    this.q = statementCache(db);
  }

  transaction<T>(f: () => T): T {
    return commitsFor(this.db).now(f);
  }

  /** `f` in this turn's group commit; resolves once it is on disk. */
  later<T>(f: () => T): Promise<T> {
    return commitsFor(this.db).later(f);
  }

  // ---- definitions -----------------------------------------------------------------------
  all(): WorkflowRow[] {
    return this.q('SELECT * FROM workflows ORDER BY name, id').all() as WorkflowRow[];
  }
  get(id: string): WorkflowRow | undefined {
    return this.q('SELECT * FROM workflows WHERE id = ?').get(id) as WorkflowRow | undefined;
  }
  byFile(file: string): WorkflowRow | undefined {
    return this.q('SELECT * FROM workflows WHERE file = ?').get(file) as WorkflowRow | undefined;
  }
  insert(row: WorkflowRow): void {
    this.q(
      'INSERT INTO workflows (id, name, source, enabled, origin, file, created_at, updated_at) VALUES (@id, @name, @source, @enabled, @origin, @file, @created_at, @updated_at)',
    ).run(row);
  }
  update(id: string, fields: Partial<Pick<WorkflowRow, 'name' | 'source' | 'enabled'>>, now: number): void {
    const cur = this.get(id);
    if (!cur) return;
    const next = { ...cur, ...fields, updated_at: now };
    this.q('UPDATE workflows SET name = @name, source = @source, enabled = @enabled, updated_at = @updated_at WHERE id = @id').run(next);
  }
  delete(id: string): void {
    this.transaction(() => {
      this.q('DELETE FROM workflow_timers WHERE workflow_id = ?').run(id);
      this.q('DELETE FROM workflows WHERE id = ?').run(id);
    });
    this.recent.delete(id);
    if (this.open?.get(id)?.size === 0) this.open.delete(id);
  }

  // ---- runs --------------------------------------------------------------------------------
  insertRun(row: RunRow): void {
    // Read (at first use) before the insert, so that the new row is counted once.
    const open = this.openOf(row.workflow_id);
    const starts = this.recentOf(row.workflow_id, row.started_at - RECENT_MS);
    this.q(
      'INSERT INTO workflow_runs (id, workflow_id, state, queued, dry_run, trigger, definition, started_at, finished_at, error) VALUES (@id, @workflow_id, @state, @queued, @dry_run, @trigger, @definition, @started_at, @finished_at, @error)',
    ).run(row);
    if (row.state === 'running' || row.state === 'waiting')
      open.set(row.id, { state: row.state, queued: row.queued === 1, dry: row.dry_run === 1, started_at: row.started_at });
    if (row.dry_run === 0) starts.push(row.started_at);
  }
  /** Undoes insertRun's bookkeeping when the run's row did not reach the disk after all. */
  forgetRun(row: RunRow): void {
    this.openOf(row.workflow_id).delete(row.id);
    const recent = this.recent.get(row.workflow_id);
    const i = recent?.lastIndexOf(row.started_at) ?? -1;
    if (i >= 0) recent!.splice(i, 1);
  }
  run(id: string): RunRow | undefined {
    return this.q('SELECT * FROM workflow_runs WHERE id = ?').get(id) as RunRow | undefined;
  }
  /** An open run's state from memory (no query); undefined once it ended, was cancelled or never was. */
  openState(workflowId: string, id: string): 'running' | 'waiting' | undefined {
    return this.openIndex().get(workflowId)?.get(id)?.state;
  }
  openRuns(workflowId?: string): RunRow[] {
    return (
      workflowId
        ? this.q("SELECT * FROM workflow_runs WHERE state IN ('running', 'waiting') AND workflow_id = ? ORDER BY started_at, id").all(workflowId)
        : this.q("SELECT * FROM workflow_runs WHERE state IN ('running', 'waiting') ORDER BY started_at, id").all()
    ) as RunRow[];
  }
  /** Open runs of a workflow (dry runs only with `dry`): how many, and how many not queued. */
  openCounts(workflowId: string, dry: boolean): { open: number; active: number } {
    let open = 0;
    let active = 0;
    for (const r of this.openOf(workflowId).values()) {
      if (r.dry && !dry) continue;
      open++;
      if (!r.queued) active++;
    }
    return { open, active };
  }
  /** The oldest queued run of a workflow (mode queued), if any. */
  nextQueued(workflowId: string): string | undefined {
    let next: [string, OpenRun] | undefined;
    for (const e of this.openOf(workflowId)) {
      if (!e[1].queued) continue;
      if (!next || e[1].started_at < next[1].started_at || (e[1].started_at === next[1].started_at && e[0] < next[0])) next = e;
    }
    return next?.[0];
  }
  setRunState(id: string, state: RunState, now: number, error: string | null = null): void {
    const final = state === 'done' || state === 'failed' || state === 'cancelled';
    this.transaction(() =>
      this.q('UPDATE workflow_runs SET state = ?, queued = 0, finished_at = ?, error = COALESCE(?, error) WHERE id = ?').run(
        state,
        final ? now : null,
        error,
        id,
      ),
    );
    // Only open runs are counted: a run that was not open has nothing to update here.
    for (const open of this.openIndex().values()) {
      const r = open.get(id);
      if (!r) continue;
      if (final) open.delete(id);
      else ((r.queued = false), (r.state = state as OpenRun['state']));
      return;
    }
  }
  runs(workflowId: string, limit: number): RunRow[] {
    return this.q('SELECT * FROM workflow_runs WHERE workflow_id = ? ORDER BY started_at DESC, id DESC LIMIT ?').all(workflowId, limit) as RunRow[];
  }
  lastRun(workflowId: string): RunRow | undefined {
    return this.runs(workflowId, 1)[0];
  }
  /** Runs (dry runs aside) started since `since`, at most a minute ago; pruned runs still count. */
  countRecent(workflowId: string, since: number): number {
    const starts = this.recentOf(workflowId, since);
    let old = 0;
    while (old < starts.length && starts[old]! < since) old++;
    if (old > 0) starts.splice(0, old);
    return starts.length;
  }
  private recentOf(workflowId: string, since: number): number[] {
    let starts = this.recent.get(workflowId);
    if (!starts) {
      const rows = this.q('SELECT started_at FROM workflow_runs WHERE workflow_id = ? AND started_at >= ? AND dry_run = 0 ORDER BY started_at').all(
        workflowId,
        since,
      ) as { started_at: number }[];
      this.recent.set(workflowId, (starts = rows.map((r) => r.started_at)));
    }
    return starts;
  }
  /** Every open run, by workflow; read from the table at first use. */
  private openIndex(): Map<string, Map<string, OpenRun>> {
    if (!this.open) {
      this.open = new Map();
      for (const r of this.q(
        "SELECT id, workflow_id, state, queued, dry_run, started_at FROM workflow_runs WHERE state IN ('running', 'waiting')",
      ).all() as Pick<RunRow, 'id' | 'workflow_id' | 'state' | 'queued' | 'dry_run' | 'started_at'>[])
        this.openOf(r.workflow_id).set(r.id, { state: r.state as OpenRun['state'], queued: r.queued === 1, dry: r.dry_run === 1, started_at: r.started_at });
    }
    return this.open;
  }
  private openOf(workflowId: string): Map<string, OpenRun> {
    const index = this.openIndex();
    let m = index.get(workflowId);
    if (!m) index.set(workflowId, (m = new Map()));
    return m;
  }
  prune(workflowId: string): void {
    this.q(
      `DELETE FROM workflow_runs WHERE workflow_id = ? AND state NOT IN ('running', 'waiting') AND id NOT IN (SELECT id FROM workflow_runs WHERE workflow_id = ? ORDER BY started_at DESC LIMIT ${RUNS_KEPT})`,
    ).run(workflowId, workflowId);
  }

  // ---- steps -------------------------------------------------------------------------------
  steps(runId: string): StepRow[] {
    return this.q('SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY seq').all(runId) as StepRow[];
  }
  step(runId: string, path: string): StepRow | undefined {
    return this.q('SELECT * FROM workflow_steps WHERE run_id = ? AND path = ?').get(runId, path) as StepRow | undefined;
  }
  startStep(runId: string, path: string, kind: string, now: number, state: StepState = 'running'): StepRow {
    return this.transaction(() => {
      this.insertStep(runId, path, kind, now, { state, finished_at: null });
      return this.step(runId, path)!;
    });
  }
  /** A step's first row, numbered after the run's others, in one statement. */
  private insertStep(runId: string, path: string, kind: string, startedAt: number, fields: StepFields & { state: StepState }): void {
    this.q(
      `INSERT INTO workflow_steps (run_id, path, seq, kind, state, started_at, finished_at, output, error, ref)
        SELECT ?, ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ?, ?, ?, ?, ? FROM workflow_steps WHERE run_id = ?`,
    ).run(
      runId,
      path,
      kind,
      fields.state,
      startedAt,
      fields.finished_at ?? null,
      fields.output === undefined ? null : JSON.stringify(fields.output),
      fields.error ?? null,
      fields.ref ?? null,
      runId,
    );
  }
  /**
   * Writes a step's final row, whether or not it was written down before (an action's row is
   * written once, after the gate answered). `absent`: the caller knows there is no row yet (the
   * first pass of a run this process started), so none is looked for.
   */
  finishStep(
    runId: string,
    path: string,
    kind: string,
    startedAt: number,
    fields: StepFields & { state: StepState; finished_at: number | null },
    absent = false,
  ): void {
    const cur = absent ? undefined : this.step(runId, path);
    if (cur) this.writeStep(cur, fields);
    else this.insertStep(runId, path, kind, startedAt, fields);
  }
  updateStep(runId: string, path: string, fields: StepFields): void {
    this.transaction(() => {
      const cur = this.step(runId, path);
      if (cur) this.writeStep(cur, fields);
    });
  }
  private writeStep(cur: StepRow, fields: StepFields): void {
    this.q('UPDATE workflow_steps SET state = ?, output = ?, error = ?, ref = ?, finished_at = ? WHERE run_id = ? AND path = ?').run(
      fields.state ?? cur.state,
      fields.output === undefined ? cur.output : JSON.stringify(fields.output),
      fields.error === undefined ? cur.error : fields.error,
      fields.ref === undefined ? cur.ref : fields.ref,
      fields.finished_at === undefined ? cur.finished_at : fields.finished_at,
      cur.run_id,
      cur.path,
    );
  }

  // ---- timers ------------------------------------------------------------------------------
  setTimer(row: TimerRow): void {
    this.q(
      `INSERT INTO workflow_timers (id, kind, workflow_id, run_id, path, due_at, data) VALUES (@id, @kind, @workflow_id, @run_id, @path, @due_at, @data)
        ON CONFLICT (workflow_id, kind, COALESCE(run_id, ''), COALESCE(path, '')) DO UPDATE SET due_at = excluded.due_at, data = excluded.data`,
    ).run(row);
  }
  timer(workflowId: string, kind: TimerKind, runId: string | null, path: string | null): TimerRow | undefined {
    return this.q("SELECT * FROM workflow_timers WHERE workflow_id = ? AND kind = ? AND COALESCE(run_id, '') = ? AND COALESCE(path, '') = ?").get(
      workflowId,
      kind,
      runId ?? '',
      path ?? '',
    ) as TimerRow | undefined;
  }
  clearTimer(workflowId: string, kind: TimerKind, runId: string | null, path: string | null): void {
    this.q("DELETE FROM workflow_timers WHERE workflow_id = ? AND kind = ? AND COALESCE(run_id, '') = ? AND COALESCE(path, '') = ?").run(
      workflowId,
      kind,
      runId ?? '',
      path ?? '',
    );
  }
  clearTimers(workflowId: string, kind?: TimerKind): void {
    if (kind) this.q('DELETE FROM workflow_timers WHERE workflow_id = ? AND kind = ?').run(workflowId, kind);
    else this.q('DELETE FROM workflow_timers WHERE workflow_id = ?').run(workflowId);
  }
  clearRunTimers(runId: string): void {
    this.q('DELETE FROM workflow_timers WHERE run_id = ?').run(runId);
  }
  timersOf(workflowId: string, kind: TimerKind): TimerRow[] {
    return this.q('SELECT * FROM workflow_timers WHERE workflow_id = ? AND kind = ?').all(workflowId, kind) as TimerRow[];
  }
  due(now: number, limit = 500): TimerRow[] {
    return this.q('SELECT * FROM workflow_timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?').all(now, limit) as TimerRow[];
  }
  nextDue(): number | undefined {
    return (this.q('SELECT MIN(due_at) AS t FROM workflow_timers').get() as { t: number | null }).t ?? undefined;
  }

  // ---- views -------------------------------------------------------------------------------
  view(run: RunRow): RunView {
    return {
      id: run.id,
      workflow_id: run.workflow_id,
      state: run.state,
      queued: run.queued === 1,
      dry_run: run.dry_run === 1,
      trigger: JSON.parse(run.trigger) as Record<string, unknown>,
      started_at: isoTime(run.started_at),
      finished_at: run.finished_at === null ? null : isoTime(run.finished_at),
      error: run.error,
      steps: this.steps(run.id).map((s) => ({
        index: s.seq,
        path: s.path,
        kind: s.kind,
        state: s.state,
        started_at: isoTime(s.started_at),
        finished_at: s.finished_at === null ? null : isoTime(s.finished_at),
        ...(s.output !== null ? { output: JSON.parse(s.output) as unknown } : {}),
        ...(s.error !== null ? { error: s.error } : {}),
        ...(s.ref !== null ? { ref: s.ref } : {}),
      })),
    };
  }
}
