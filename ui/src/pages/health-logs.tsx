import { useState } from 'preact/hooks';
import { get, qs } from '../api/client';
import type { LogPage } from '../api/types';
import { dateTime } from '../lib/format';
import { useApi } from '../lib/use-api';
import { ErrorNote, Field, Select } from '../components/ui';

/** Health → Logs: the hub's warnings and errors of the last week, for the owner. */
export function HealthLogs() {
  const [level, setLevel] = useState('warn');
  const [q, setQ] = useState('');
  const path = `/health/logs${qs({ level, q: q.trim() || undefined, limit: 50 })}`;
  const res = useApi<LogPage>(path);
  const [older, setOlder] = useState<{ for: string; entries: LogPage['entries']; next: number | null } | undefined>();
  const more = older?.for === path ? older : undefined;
  const entries = [...(res.data?.entries ?? []), ...(more?.entries ?? [])];
  const next = more ? more.next : (res.data?.next_before ?? null);
  const loadOlder = async () => {
    if (!next) return;
    const page = await get<LogPage>(`/health/logs${qs({ level, q: q.trim() || undefined, limit: 50, before: next })}`);
    setOlder({ for: path, entries: [...(more?.entries ?? []), ...page.entries], next: page.next_before });
  };
  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <p class="muted small">Warnings and errors of the last week, newest first. Passwords and tokens are never written here.</p>
      <div class="row">
        <Select
          label="Show"
          value={level}
          onValue={setLevel}
          options={[
            ['warn', 'Warnings and errors'],
            ['error', 'Errors only'],
          ]}
        />
        <Field label="Search" value={q} onValue={setQ} placeholder="a device, a word…" />
      </div>
      <ErrorNote error={res.error} />
      {res.data && entries.length === 0 ? (
        <p class="muted">
          Nothing to show: no {level === 'error' ? 'errors' : 'warnings or errors'}
          {q.trim() ? ` mentioning “${q.trim()}”` : ''}.
        </p>
      ) : null}
      <ul class="logs">
        {entries.map((e) => (
          <li key={e.id} class="card compact">
            <div class="row spread">
              <strong>{e.msg || '(no message)'}</strong>
              <span class={`tag st-${e.level === 'warn' ? 'degraded' : 'down'}`}>{e.level === 'warn' ? 'warning' : 'error'}</span>
            </div>
            <p class="muted small">
              {dateTime(e.at)}
              {e.part ? ` · ${e.part}` : ''}
            </p>
            <details>
              <summary class="small">Details</summary>
              <pre class="small">{e.details}</pre>
            </details>
          </li>
        ))}
      </ul>
      {res.data?.dropped ? <p class="muted small">{res.data.dropped} more lines were not kept while the hub was logging very fast.</p> : null}
      {next ? (
        <button type="button" onClick={() => void loadOlder()}>
          Older
        </button>
      ) : null}
    </section>
  );
}
