import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, qs } from '../../api/client';
import { useHubEvents } from '../../api/events';
import type { Envelope } from '../../api/types';
import { ErrorNote, Loading } from '../../components/ui';
import { cap, when } from '../../lib/format';
import { actionWords, useNames } from '../../lib/names';
import { mayAudit, useSession } from '../../lib/session';

const PAGE = 50;
type List = { approvals: Envelope[]; next_before: string | null };
interface Pages {
  /** Newest first, contiguous from the newest down to `cursor`; pending ones included (not shown here). */
  items: Envelope[];
  /** The server's `next_before` for the next page; undefined at the end. */
  cursor?: string;
  end: boolean;
  loaded: boolean;
}

/**
 * Past approvals, newest first, with older pages on demand through the API's `before` cursor.
 * Live updates refresh only the newest page and merge it in by id, so pages already loaded stay.
 */
export function History({ version }: { version: number }) {
  const names = useNames();
  // The story is in the audit trail, which only some roles may read: no link to a refusal.
  const story = mayAudit(useSession().me.role);
  const [pages, setPages] = useState<Pages>({ items: [], end: false, loaded: false });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(async () => {
    try {
      const { approvals: page, next_before } = await get<List>(`/approvals${qs({ limit: PAGE })}`);
      setError(undefined);
      setPages((prev) => {
        const fresh = new Set(page.map((a) => a.id));
        // No overlap with what is loaded: more than a page arrived meanwhile, and keeping the old
        // pages would leave a gap between them. Start over from the newest page.
        if (!prev.loaded || !prev.items.some((a) => fresh.has(a.id)))
          return { items: page, cursor: next_before ?? undefined, end: next_before === null, loaded: true };
        return { ...prev, items: [...page, ...prev.items.filter((a) => !fresh.has(a.id))] };
      });
    } catch (err) {
      setError(err);
    }
  }, []);

  async function older() {
    const before = pages.cursor;
    if (!before) return;
    setBusy(true);
    try {
      const { approvals: page, next_before } = await get<List>(`/approvals${qs({ limit: PAGE, before })}`);
      setError(undefined);
      const end = next_before === null;
      setPages((prev) => {
        if (prev.cursor !== before) return prev; // started over meanwhile: this page no longer follows
        const known = new Set(prev.items.map((a) => a.id));
        return { ...prev, items: [...prev.items, ...page.filter((a) => !known.has(a.id))], cursor: next_before ?? undefined, end };
      });
      // The button goes away at the end: keep keyboard focus on the page, on the words that say so.
      if (end) setTimeout(() => document.getElementById('history-end')?.focus(), 0);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    void refresh();
  }, [refresh, version]);
  useHubEvents((e) => void (e.type.startsWith('approval.') && refresh()), [refresh]);

  const past = pages.items.filter((a) => a.state !== 'pending');
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ErrorNote error={error} />
      {!pages.loaded && !error ? <Loading /> : null}
      {pages.loaded && past.length === 0 && pages.end ? <p class="muted">No decided requests yet.</p> : null}
      <ul class="history">
        {past.map((a) => (
          <li key={a.id} class="card compact" data-history={a.id}>
            <div class="row spread">
              <strong>{cap(actionWords(a.action.operation, names.entity(a.action.entity_id), a.action.params))}</strong>
              <span class={`tag state-${a.state}`}>{a.state}</span>
            </div>
            <p class="muted small">
              Asked by {names.member(a.origin.member_id)} via {a.origin.channel}, {when(a.created_at)} · risk {a.risk}
              {a.decisions.length && a.state !== 'denied'
                ? ` · ${a.decisions.map((d) => `${d.decision === 'approve' ? 'approved' : 'denied'} by ${names.member(d.member_id)}`).join(', ')}`
                : ''}
              {a.outcome ? ` · ${a.outcome.message}` : ''}
              {story ? (
                <>
                  {' '}
                  · <a href={`/audit?subject=${encodeURIComponent(a.id)}`}>the story</a>
                </>
              ) : null}
            </p>
          </li>
        ))}
      </ul>
      <p class="sr-only" aria-live="polite">
        {pages.loaded ? `${past.length} past requests shown.` : ''}
      </p>
      {pages.loaded && !pages.end ? (
        <button type="button" disabled={busy} onClick={() => void older()}>
          {busy ? 'Loading older…' : 'Show older'}
        </button>
      ) : null}
      {pages.end && past.length > 0 ? (
        <p class="muted" id="history-end" tabIndex={-1}>
          No older approvals.
        </p>
      ) : null}
    </section>
  );
}
