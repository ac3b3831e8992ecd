import { readFileSync } from 'node:fs';
import { EXIT, FatalError } from '../../core/errors.js';
import { isoTime } from '../../core/clock.js';
import { loadSettings } from '../../config/load.js';
import { parseWorkflow, WorkflowInvalid } from '../../workflows/parse.js';
import { WorkflowStore, type RunView } from '../../workflows/store.js';
import { openStoreForCli } from '../open-store.js';
import { flagsFrom, parse, settingsOptions } from '../args.js';

export const workflowsHelp = [
  'hearth workflows validate FILE                         check a workflow file; names the line of each problem',
  'hearth workflows list [--json] [--data DIR]            workflows with their state and last run',
  "hearth workflows runs ID [--limit N] [--json]          a workflow's runs, newest first, with their steps",
  'hearth workflows run ID [--dry-run] [--url URL]        run it now on the running hub (token in HEARTH_TOKEN)',
].join('\n');

export async function workflowsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    ...settingsOptions,
    json: { type: 'boolean', default: false },
    limit: { type: 'string', default: '10' },
    'dry-run': { type: 'boolean', default: false },
    url: { type: 'string' },
  });
  const target = positionals[0];
  if (sub === 'validate') {
    if (!target) throw new FatalError(`which file? ${workflowsHelp.split('\n')[0]}`, EXIT.usage);
    let source: string;
    try {
      source = readFileSync(target, 'utf8');
    } catch (err) {
      throw new FatalError(`cannot read ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.dataErr);
    }
    try {
      const def = parseWorkflow(source);
      process.stdout.write(
        `${target}: ok (${def.name}: ${def.triggers.length} trigger${def.triggers.length === 1 ? '' : 's'}, ${def.steps.length} step${def.steps.length === 1 ? '' : 's'})\n`,
      );
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof WorkflowInvalid)) throw err;
      for (const p of err.problems)
        process.stderr.write(`${target}:${p.line ?? '?'}${p.column ? `:${p.column}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}\n`);
      return EXIT.dataErr;
    }
  }
  if (sub === 'run') return runOnHub(target, values);
  if (sub !== 'list' && sub !== 'runs') throw new FatalError(`unknown workflows command "${sub ?? ''}"\n${workflowsHelp}`, EXIT.usage);
  const { store } = openStoreForCli(values);
  try {
    const wf = new WorkflowStore(store.db);
    if (sub === 'list') {
      const rows = wf.all().map((r) => ({ id: r.id, name: r.name, enabled: r.enabled === 1, origin: r.origin, last_run: wf.lastRun(r.id) ?? null }));
      if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else if (rows.length === 0) process.stdout.write('no workflows\n');
      else
        for (const r of rows)
          process.stdout.write(
            `${[r.id.padEnd(28), (r.enabled ? 'on' : 'off').padEnd(4), r.origin.padEnd(5), r.name, r.last_run ? `(last run ${isoTime(r.last_run.started_at)} ${r.last_run.state})` : '(never ran)'].join('  ')}\n`,
          );
      return EXIT.ok;
    }
    if (!target) throw new FatalError(`which workflow? ${workflowsHelp.split('\n')[2]}`, EXIT.usage);
    if (!wf.get(target)) {
      process.stderr.write(`hearth: no workflow ${target}\n`);
      return EXIT.dataErr;
    }
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new FatalError('--limit must be a whole number from 1 to 200', EXIT.usage);
    const runs = wf.runs(target, limit).map((r) => wf.view(r));
    if (values.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    else if (runs.length === 0) process.stdout.write('no runs\n');
    else for (const r of runs) process.stdout.write(describeRun(r));
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function describeRun(r: RunView): string {
  const head = `${r.id}  ${r.started_at}  ${r.state}${r.dry_run ? ' (dry run)' : ''}  trigger ${String(r.trigger.kind ?? '?')}${r.error ? `  ${r.error}` : ''}`;
  const steps = r.steps.map(
    (s) => `  ${s.started_at}  ${s.path.padEnd(10)} ${s.kind.padEnd(8)} ${s.state}${s.error ? `  ${s.error}` : ''}${s.ref ? `  (${s.ref})` : ''}`,
  );
  return `${[head, ...steps].join('\n')}\n`;
}

/** "Run now" goes through the running hub's API, so the run is the hub's and passes its gate. */
async function runOnHub(id: string | undefined, values: { config?: string; data?: string; url?: string; 'dry-run'?: boolean }): Promise<number> {
  if (!id) throw new FatalError(`which workflow? ${workflowsHelp.split('\n')[3]}`, EXIT.usage);
  const token = process.env.HEARTH_TOKEN;
  if (!token) throw new FatalError("set HEARTH_TOKEN to an owner's API token (Settings → API tokens, or POST /api/v1/tokens)", EXIT.usage);
  const { settings } = loadSettings({ file: values.config, flags: flagsFrom(values) });
  const base = values.url ?? `http://127.0.0.1:${settings.http.port}`;
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/workflows/${encodeURIComponent(id)}/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dry_run: values['dry-run'] === true }),
    });
  } catch (err) {
    throw new FatalError(`the hub at ${base} did not answer (${(err as Error).message}); is it running?`, EXIT.unavailable);
  }
  const body = (await res.json().catch(() => ({}))) as { run_id?: string; error?: { code: string; message: string } };
  if (res.status !== 202 || !body.run_id) {
    process.stderr.write(`hearth: ${body.error?.message ?? `the hub answered ${res.status}`}${body.error ? ` (${body.error.code})` : ''}\n`);
    return EXIT.failure;
  }
  process.stdout.write(`${body.run_id}\n`);
  return EXIT.ok;
}
