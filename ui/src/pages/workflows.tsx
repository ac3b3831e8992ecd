import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, patch, post } from '../api/client';
import { ErrorNote, Loading, Notice, PageHead } from '../components/ui';
import { useApi } from '../lib/use-api';
import { ago, dateTime } from '../lib/format';
import { useSession } from '../lib/session';
import { actionWords, useNames } from '../lib/names';

interface LastRun {
  id: string;
  state: string;
  started_at: string;
  error: string | null;
}
interface Workflow {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  origin: 'api' | 'file' | 'pack';
  source: string;
  triggers: string[];
  last_run: LastRun | null;
  problem: string | null;
}
interface Step {
  index: number;
  path: string;
  kind: string;
  state: string;
  started_at: string;
  finished_at: string | null;
  output?: unknown;
  error?: string;
  ref?: string;
}
interface Run {
  id: string;
  state: string;
  dry_run: boolean;
  trigger: Record<string, unknown>;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  steps: Step[];
}

const STARTER = `name: Porch light when the back door opens at night
triggers:
  - state: binary_sensor.demo_back_door
    to: "on"
conditions:
  - time: {after: "21:00", before: "06:00"}
steps:
  - action: {entity_id: light.demo_porch, operation: turn_on}
  - wait: 10m
  - action: {entity_id: light.demo_porch, operation: turn_off}
`;

const stateWords: Record<string, string> = {
  running: 'running',
  waiting: 'waiting',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
};

/** Workflows: the list with on/off and last run, the packs, an editor that checks as you type, and each run's timeline. */
export function WorkflowsPage() {
  const { me } = useSession();
  const owner = me.role === 'owner';
  const list = useApi<{ workflows: Workflow[] }>('/workflows');
  const [editing, setEditing] = useState<Workflow | 'new' | null>(null);
  const [showing, setShowing] = useState<Workflow | null>(null);
  const [error, setError] = useState<unknown>();
  const [note, setNote] = useState<string>();

  if (list.error) return <ErrorNote error={list.error} />;
  if (!list.data) return <Loading what="Loading workflows" />;
  const own = list.data.workflows.filter((w) => w.origin !== 'pack');
  const packs = list.data.workflows.filter((w) => w.origin === 'pack');

  const act = async (f: () => Promise<unknown>, done?: string) => {
    setError(undefined);
    setNote(undefined);
    try {
      await f();
      if (done) setNote(done);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const run = (w: Workflow, dry: boolean) =>
    act(
      async () => {
        await post(`/workflows/${w.id}/run`, { dry_run: dry });
        setShowing(w);
      },
      dry ? `Dry run of "${w.name}" started: it acts on nothing.` : `"${w.name}" started.`,
    );

  const row = (w: Workflow) => (
    <li key={w.id} class="card compact" data-workflow={w.id}>
      <div class="row spread">
        <strong>{w.name}</strong>
        <label>
          <input
            type="checkbox"
            checked={w.enabled}
            disabled={!owner || (!!w.problem && !w.enabled)}
            onChange={(e) => void act(() => patch(`/workflows/${w.id}`, { enabled: (e.target as HTMLInputElement).checked }))}
          />{' '}
          On
        </label>
      </div>
      {w.description ? <p class="muted">{w.description}</p> : null}
      {w.problem ? <p class="error">{w.problem}</p> : null}
      <p class="muted">
        Starts on: {w.triggers.join(', ')}.{' '}
        {w.last_run ? (
          <>
            Last run {ago(w.last_run.started_at)}: <span class={`run-state ${w.last_run.state}`}>{stateWords[w.last_run.state] ?? w.last_run.state}</span>
            {w.last_run.error ? ` (${w.last_run.error})` : ''}
          </>
        ) : (
          'Never ran.'
        )}
      </p>
      <div class="row">
        {owner ? (
          <>
            <button type="button" onClick={() => void run(w, false)}>
              Run now
            </button>
            <button type="button" onClick={() => void run(w, true)}>
              Dry run
            </button>
            <button type="button" onClick={() => setEditing(w)}>
              {w.origin === 'pack' ? 'Copy and edit' : 'Edit'}
            </button>
          </>
        ) : null}
        <button type="button" onClick={() => setShowing(showing?.id === w.id ? null : w)}>
          {showing?.id === w.id ? 'Hide runs' : 'Runs'}
        </button>
      </div>
      {showing?.id === w.id ? <Runs workflow={w} onNewer={() => void list.reload()} /> : null}
    </li>
  );

  return (
    <main id="main">
      <PageHead title="Workflows">
        {owner && !editing ? (
          <button type="button" onClick={() => setEditing('new')}>
            New workflow
          </button>
        ) : null}
      </PageHead>
      <ErrorNote error={error} />
      {note ? <Notice tone="ok">{note}</Notice> : null}
      {editing ? (
        <Editor
          workflow={editing === 'new' ? null : editing}
          onDone={async (saved) => {
            setEditing(null);
            if (saved) setNote(`Saved "${saved}".`);
            await list.reload();
          }}
        />
      ) : null}
      <section aria-labelledby="wf-own">
        <h2 id="wf-own">Your workflows</h2>
        {own.length === 0 ? <p class="muted">None yet. Write one, or switch on a pack below.</p> : <ul class="plain stack">{own.map(row)}</ul>}
      </section>
      <section aria-labelledby="wf-packs">
        <h2 id="wf-packs">Packs</h2>
        <p class="muted">Ready-made routines. Each is a plain workflow file you can read, switch on, or copy and change.</p>
        <ul class="plain stack">{packs.map(row)}</ul>
      </section>
    </main>
  );
}

/** The YAML editor: checked by the hub as you type; the line with the problem is marked. */
function Editor({ workflow, onDone }: { workflow: Workflow | null; onDone: (saved?: string) => Promise<void> }) {
  const copying = workflow?.origin === 'pack';
  const [source, setSource] = useState(workflow ? (copying ? workflow.source.replace(/^name: (.*)$/m, 'name: $1 (my copy)') : workflow.source) : STARTER);
  const [problem, setProblem] = useState<{ line: number | null; message: string } | null>(null);
  const [checked, setChecked] = useState<string>();
  const [error, setError] = useState<unknown>();
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(async () => {
      try {
        const r = await post<{ name: string }>('/workflows/validate', { source });
        setProblem(null);
        setChecked(r.name);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'WORKFLOW_INVALID') {
          const first = (err.details as { problems?: { line: number | null; message: string; path: string }[] } | undefined)?.problems?.[0];
          setProblem({ line: first?.line ?? null, message: err.message });
          setChecked(undefined);
        } else setError(err);
      }
    }, 250);
    return () => window.clearTimeout(timer.current);
  }, [source]);

  const save = async () => {
    setError(undefined);
    try {
      const saved = workflow && !copying ? await api<Workflow>('PUT', `/workflows/${workflow.id}`, { source }) : await post<Workflow>('/workflows', { source });
      await onDone(saved.name);
    } catch (err) {
      setError(err);
    }
  };
  const lines = source.split('\n');
  return (
    <section class="card" aria-labelledby="wf-editor">
      <h2 id="wf-editor">{workflow && !copying ? `Edit "${workflow.name}"` : 'New workflow'}</h2>
      <p class="muted">YAML, as in docs/workflows.md. Every action goes through the same approvals as a person's.</p>
      <div class="code-editor">
        <ol class="gutter" aria-hidden="true">
          {lines.map((_, i) => (
            <li key={i} class={problem?.line === i + 1 ? 'bad-line' : undefined}>
              {i + 1}
            </li>
          ))}
        </ol>
        <textarea
          aria-label="Workflow YAML"
          spellcheck={false}
          rows={Math.max(12, lines.length + 1)}
          value={source}
          onInput={(e) => setSource((e.target as HTMLTextAreaElement).value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby="wf-check"
        />
      </div>
      <p id="wf-check" role="status" class={problem ? 'error' : 'muted'}>
        {problem ? problem.message : checked ? `Looks right: "${checked}".` : 'Checking…'}
      </p>
      <ErrorNote error={error} />
      <div class="row">
        <button type="button" class="primary" disabled={!!problem} onClick={() => void save()}>
          Save
        </button>
        <button type="button" onClick={() => void onDone()}>
          Cancel
        </button>
      </div>
    </section>
  );
}

/** A workflow's runs, newest first; a run opens into its timeline. */
function Runs({ workflow, onNewer }: { workflow: Workflow; onNewer: () => void }) {
  const runs = useApi<{ runs: Run[] }>(`/workflows/${workflow.id}/runs?limit=20`);
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => {
    const t = window.setInterval(() => void runs.reload(), 2000);
    return () => window.clearInterval(t);
  }, [runs.reload]);
  // The card's "Last run" line comes with the list: when the newest run moved on, the list is read again.
  const newest = runs.data?.runs[0];
  useEffect(() => {
    if (newest && (newest.id !== workflow.last_run?.id || newest.state !== workflow.last_run?.state)) onNewer();
  }, [newest?.id, newest?.state]);
  if (runs.error) return <ErrorNote error={runs.error} />;
  if (!runs.data) return <Loading what="Loading runs" />;
  if (runs.data.runs.length === 0) return <p class="muted">No runs yet.</p>;
  return (
    <ul class="plain runs" aria-label={`Runs of ${workflow.name}`}>
      {runs.data.runs.map((r) => (
        <li key={r.id}>
          <button type="button" class="link" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
            {dateTime(r.started_at)} · <span class={`run-state ${r.state}`}>{stateWords[r.state] ?? r.state}</span>
            {r.dry_run ? ' · dry run' : ''} · started by {String(r.trigger.kind ?? 'something')}
          </button>
          {open === r.id ? <Timeline run={r} /> : null}
        </li>
      ))}
    </ul>
  );
}

function Timeline({ run }: { run: Run }) {
  const names = useNames();
  return (
    <ol class="timeline">
      <li>
        <time>{dateTime(run.started_at)}</time> Started by {String(run.trigger.kind)}
        {run.trigger.entity_id ? ` (${names.entity(String(run.trigger.entity_id))} → ${String(run.trigger.to)})` : ''}
      </li>
      {run.steps.map((s) => {
        const said = summary(s.output, names.entity);
        return (
          <li key={s.path} class={`step ${s.state}`}>
            <time>{dateTime(s.started_at)}</time> {stepTitle(s, names.entity)} — {stateWords[s.state] ?? s.state}
            {s.finished_at && s.finished_at !== s.started_at ? ` (finished ${dateTime(s.finished_at)})` : ''}
            {s.ref?.startsWith('apr') ? (
              <>
                {' '}
                · waited on <a href={`/approvals/${s.ref}`}>an approval</a>
              </>
            ) : null}
            {s.error ? <div class="error">{s.error}</div> : null}
            {said ? <div class="muted small">{said}</div> : null}
            <div class="muted small details">
              step {s.path} · {s.kind}
              {s.ref ? ` · ${s.ref}` : ''}
            </div>
          </li>
        );
      })}
      {run.finished_at ? (
        <li>
          <time>{dateTime(run.finished_at)}</time> {run.state === 'done' ? 'Finished.' : `Ended: ${run.state}${run.error ? ` (${run.error})` : ''}.`}
        </li>
      ) : null}
    </ol>
  );
}

/** What a step did, as a homeowner would say it: "Lock Front door", "Sent a message". Its path and kind go in the details line. */
function stepTitle(s: Step, entityName: (id: string) => string): string {
  const o = (s.output ?? {}) as Record<string, unknown>;
  if (s.kind === 'action' && typeof o.entity_id === 'string' && typeof o.operation === 'string')
    return capitalize(actionWords(o.operation, entityName(o.entity_id)));
  if (s.kind === 'action' && typeof o.selection === 'string') return capitalize(o.selection);
  return STEP_WORDS[s.kind] ?? capitalize(s.kind);
}

const STEP_WORDS: Record<string, string> = {
  action: 'An action',
  notify: 'Sent a message',
  ask: 'Asked a question',
  wait: 'Waited',
  if: 'Chose what to do',
  choose: 'Chose what to do',
  parallel: 'Did these at once',
  llm: 'Wrote a message',
  checkin: 'Started a check-in call',
};

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** What the device said about an action, in words. */
const OUTCOME_WORDS: Record<string, string> = {
  executed: 'The device confirmed it.',
  unconfirmed: 'Sent, but the device did not confirm it.',
  failed: 'It did not work.',
  refused: 'The hub refused it.',
  pending: 'Waiting for someone to approve it.',
  denied: 'Someone said no.',
  expired: 'Nobody approved it in time.',
  cancelled: 'Cancelled.',
};

function summary(output: unknown, entityName: (id: string) => string): string {
  if (output === undefined || output === null) return '';
  const o = output as Record<string, unknown>;
  if (o.dry_run)
    return `Would ${o.would ? `do ${String(o.would)}` : o.would_send ? `send "${String(o.would_send)}"` : o.would_ask ? `ask "${String(o.would_ask)}"` : 'wait'}; did nothing (dry run).`;
  if (typeof o.text === 'string') return o.text;
  if (typeof o.note === 'string') return o.note;
  if (Array.isArray(o.targets)) return o.targets.map((id) => entityName(String(id))).join(', ');
  if ('answer' in o) return o.answer === null ? 'No answer in time.' : `Answer: ${String(o.answer)}`;
  if (typeof o.due_at === 'number') return `Until ${dateTime(new Date(o.due_at).toISOString())}`;
  if (typeof o.branch === 'string') return o.branch === 'then' ? 'The condition held.' : o.branch === 'else' ? 'The condition did not hold.' : '';
  if (typeof o.branches === 'number') return '';
  if (typeof o.status === 'string') {
    const detail = (o.detail as { message?: unknown } | undefined)?.message;
    // A failed or refused step shows its error above; an unconfirmed one says here why.
    return `${OUTCOME_WORDS[o.status] ?? o.status}${typeof detail === 'string' && o.status === 'unconfirmed' ? ` ${detail}` : ''}`;
  }
  return '';
}
