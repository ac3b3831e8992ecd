import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../api/client';
import type { AuditEntry, VerifyResult } from '../api/types';
import { ErrorNote, Field, Forbidden, Loading, PageHead } from '../components/ui';
import { dateTime, when } from '../lib/format';
import { auditSentence } from '../lib/audit-words';
import { navigate, useLocation } from '../lib/router';
import { useApi } from '../lib/use-api';
import { useNames } from '../lib/names';

type Page = { entries: AuditEntry[]; next_before: number | null };
const FILTERS = ['kind', 'actor', 'subject', 'since', 'until'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/**
 * The trail: filters live in the URL (so "the story of this approval" is a link), pages go
 * back in time with the `before` cursor.
 */
export function AuditPage() {
  const { query } = useLocation();
  const applied: Filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Filters;
  const [draft, setDraft] = useState<Filters>(applied);
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const [moreError, setMoreError] = useState<unknown>();
  const key = FILTERS.map((k) => applied[k]).join('|');
  const params = { kind: applied.kind, actor: applied.actor, subject: applied.subject, since: iso(applied.since), until: iso(applied.until), limit: 50 };
  const first = useApi<Page>(`/audit${qs(params)}`);
  const names = useNames();

  useEffect(() => {
    setDraft(applied);
    setOlder([]);
    setCursor(null);
  }, [key]);

  const newestFirst = [...(first.data?.entries ?? []), ...older];
  // The story of one request reads in order, as it happened; the whole trail newest first.
  const entries = applied.subject ? [...newestFirst].reverse() : newestFirst;
  const next = cursor ?? first.data?.next_before ?? null;

  async function loadMore() {
    if (next === null) return;
    try {
      const page = await get<Page>(`/audit${qs({ ...params, before: next })}`);
      setOlder([...older, ...page.entries]);
      setCursor(page.next_before ?? 0);
    } catch (err) {
      setMoreError(err);
    }
  }
  function apply(f: Partial<Filters>) {
    const merged = { ...draft, ...f };
    navigate(`/audit${qs(merged)}`);
  }

  if (first.error?.status === 403) return <Forbidden error={first.error} />;
  return (
    <>
      <PageHead title="Audit">
        <Verify />
        <a class="button" href="/api/v1/audit/export.csv" download>
          Export CSV
        </a>
      </PageHead>
      <form
        class="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          apply({});
        }}
        aria-label="Filter the audit trail"
      >
        <Field label="Kind" value={draft.kind} onValue={(v) => setDraft({ ...draft, kind: v })} placeholder="approval.* or auth.login" />
        <Field label="Actor" value={draft.actor} onValue={(v) => setDraft({ ...draft, actor: v })} placeholder="member id, system…" />
        <Field label="Subject" value={draft.subject} onValue={(v) => setDraft({ ...draft, subject: v })} placeholder="approval, member or entity id" />
        <Field label="Since" type="datetime-local" value={draft.since} onValue={(v) => setDraft({ ...draft, since: v })} />
        <Field label="Until" type="datetime-local" value={draft.until} onValue={(v) => setDraft({ ...draft, until: v })} />
        <div class="row">
          <button type="submit" class="primary">
            Filter
          </button>
          <button type="button" onClick={() => navigate('/audit')}>
            Clear
          </button>
        </div>
      </form>
      {applied.subject ? (
        <p class="notice info">
          The story of <code>{applied.subject}</code>, as it happened.
        </p>
      ) : null}
      <ErrorNote error={first.error} />
      {first.loading && !first.data ? <Loading /> : null}
      <ol class="timeline" aria-label={applied.subject ? 'The story, in order' : 'What happened, newest first'}>
        {entries.map((e) => (
          <li key={e.seq} class="card compact" data-seq={e.seq}>
            <p class="sentence">
              <time dateTime={e.at}>{when(e.at)}</time> {auditSentence(e, names)}
            </p>
            <details>
              <summary>Details</summary>
              <p class="small">
                #{e.seq} · {dateTime(e.at)} ·{' '}
                <button type="button" class="link" onClick={() => apply({ kind: e.kind })} title="Only this kind">
                  {e.kind}
                </button>{' '}
                · <span title={e.actor}>{names.member(e.actor)}</span> via {e.origin}
                {e.subject ? (
                  <>
                    {' '}
                    · <a href={`/audit${qs({ subject: e.subject })}`}>the whole story of {e.subject}</a>
                  </>
                ) : null}
              </p>
              <pre class="data">{JSON.stringify(e.data, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ol>
      {first.data && entries.length === 0 ? <p class="muted">No entries match.</p> : null}
      <ErrorNote error={moreError} />
      {next ? (
        <button type="button" onClick={() => void loadMore()}>
          Older entries
        </button>
      ) : null}
    </>
  );
}

/** "Verify the chain": recomputes every hash on the hub and says what it found. */
function Verify() {
  const [result, setResult] = useState<VerifyResult>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function run() {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await get<VerifyResult>('/audit/verify'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="verify">
      <button type="button" onClick={() => void run()} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify the chain'}
      </button>
      <div aria-live="polite">
        {result?.ok ? (
          <p class="result ok">
            Intact: {result.count} entries, every hash checks out{result.head ? ` (head #${result.head.seq})` : ''}.
          </p>
        ) : null}
        {result && !result.ok ? (
          <p class="result bad" role="alert">
            Broken at entry #{result.broken.seq}: {result.broken.reason}
          </p>
        ) : null}
      </div>
      <ErrorNote error={error} />
    </div>
  );
}

/** datetime-local ("2026-11-21T20:15") → ISO with offset, as the API wants. */
function iso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
