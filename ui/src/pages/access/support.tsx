import { useEffect, useState } from 'preact/hooks';
import { del, post } from '../../api/client';
import type { GrantSupportBody, HealthReport, SupportGrant, SupportScope, SupportSessionList } from '../../api/types';
import { ErrorNote, Field, Loading, Notice, Select } from '../../components/ui';
import { dateTime, timeLeft } from '../../lib/format';
import { useNames } from '../../lib/names';
import { useApi, useTick } from '../../lib/use-api';

// A Record over the server's scope type: a new scope on the server fails the UI's type check
// until it has its sentence here.
const SCOPES: Record<SupportScope, { title: string; says: string }> = {
  diagnostics: {
    title: 'Diagnostics',
    says: 'The engineer can read the hub’s health, its recent logs and its settings with every secret hidden; they cannot change anything.',
  },
  maintenance: {
    title: 'Maintenance',
    says: 'Diagnostics, and the engineer can ask to restart a service or re-sync a connection; each such step still waits for your approval.',
  },
};

// Minutes; the server allows 1 minute to 7 days. Short by default: access ends by itself.
const DURATIONS: Array<[string, string]> = [
  ['15', '15 minutes'],
  ['30', '30 minutes'],
  ['60', '1 hour'],
  ['240', '4 hours'],
  ['1440', '1 day'],
  ['10080', '7 days'],
];

/** The owner opens a time-limited window for a support engineer, sees it count down, revokes it. */
export function SupportAccess() {
  const list = useApi<SupportSessionList>('/support/sessions');
  const names = useNames();
  const now = useTick();
  const [error, setError] = useState<unknown>();
  const sessions = list.data?.sessions ?? [];
  // A live grant whose time ran out in this page is ended too; the server already refuses it.
  const active = (g: SupportGrant) => g.state === 'live' && Date.parse(g.expires_at) > now;
  const live = sessions.filter(active);
  const ended = sessions.filter((g) => !active(g));

  async function revoke(g: SupportGrant) {
    if (!confirm(`End the ${SCOPES[g.scope].title.toLowerCase()} support session now? The engineer loses access at once.`)) return;
    setError(undefined);
    try {
      await del<SupportGrant>(`/support/sessions/${encodeURIComponent(g.id)}`);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section class="card access" aria-labelledby="support-title" id="support">
      <h2 id="support-title">Support access</h2>
      <LinkState />
      <GrantForm onGranted={() => void list.reload()} />
      <ErrorNote error={list.error ?? error} />
      {!list.data && !list.error ? <Loading /> : null}
      <div aria-live="polite">
        <h3>Open now</h3>
        {list.data && live.length === 0 ? <p class="muted">No support session is open.</p> : null}
        <ul class="history support-live">
          {live.map((g) => (
            <li key={g.id} class="card compact" data-grant={g.id}>
              <div class="row spread">
                <strong>{SCOPES[g.scope].title}</strong>
                <span class="tag ok countdown">{timeLeft(g.expires_at, now)}</span>
              </div>
              <p class="muted small">
                Granted by {names.member(g.created_by)}, {dateTime(g.created_at)}
                {g.engineer ? ` · only for ${g.engineer}` : ' · any support engineer'}
                {g.note ? ` · “${g.note}”` : ''}
              </p>
              <button type="button" class="danger" onClick={() => void revoke(g)} aria-label={`Revoke the ${g.scope} support session`}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      </div>
      {ended.length ? (
        <details>
          <summary>Ended ({ended.length})</summary>
          <ul class="history support-ended">
            {ended.map((g) => {
              const state = g.state === 'live' ? 'expired' : g.state;
              return (
                <li key={g.id} class="card compact" data-grant={g.id}>
                  <div class="row spread">
                    <strong>{SCOPES[g.scope].title}</strong>
                    <span class={`tag state-${state}`}>{state}</span>
                  </div>
                  <p class="muted small">
                    Granted by {names.member(g.created_by)}, {dateTime(g.created_at)} ·{' '}
                    {state === 'revoked' && g.revoked_at ? `revoked ${dateTime(g.revoked_at)}` : `ended ${dateTime(g.expires_at)}`}
                  </p>
                </li>
              );
            })}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

function GrantForm({ onGranted }: { onGranted: () => void }) {
  const [scope, setScope] = useState<SupportScope>('diagnostics');
  const [minutes, setMinutes] = useState('30');
  const [engineer, setEngineer] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');

  async function grant(e: Event) {
    e.preventDefault();
    setError(undefined);
    setDone('');
    setBusy(true);
    try {
      const body: GrantSupportBody = {
        scope,
        duration_minutes: Number(minutes),
        ...(engineer.trim() ? { engineer: engineer.trim() } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      };
      const g = await post<SupportGrant>('/support/sessions', body);
      setDone(`Granted: ${SCOPES[g.scope].title.toLowerCase()} until ${dateTime(g.expires_at)}.`);
      setEngineer('');
      setNote('');
      onGranted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={grant}>
      <fieldset>
        <legend>What support may do</legend>
        {(Object.keys(SCOPES) as SupportScope[]).map((s) => (
          <label key={s} class="check top">
            <input type="radio" name="support-scope" value={s} checked={scope === s} onChange={() => setScope(s)} aria-describedby={`scope-${s}`} />
            <span>
              <strong>{SCOPES[s].title}</strong>
              <br />
              <small id={`scope-${s}`} class="hint">
                {SCOPES[s].says}
              </small>
            </span>
          </label>
        ))}
      </fieldset>
      <div class="grid2">
        <Select label="For how long" value={minutes} onValue={setMinutes} options={DURATIONS} hint="Access ends by itself after this, or when you revoke it." />
        <Field
          label="Engineer’s account (optional)"
          value={engineer}
          onValue={setEngineer}
          maxLength={64}
          autocomplete="off"
          hint="Only this support account may use it; empty means any engineer."
        />
      </div>
      <Field label="Note (optional)" value={note} onValue={setNote} maxLength={500} hint="Such as the case number support gave you." />
      <p class="notice warn" id="support-warning">
        Only grant access when you asked Hearth support for help and they asked you for it. Nobody from support needs your password or PIN.
      </p>
      <div aria-live="polite">{done ? <p class="result ok">{done}</p> : null}</div>
      <ErrorNote error={error} />
      <button type="submit" class="primary" disabled={busy}>
        Grant support access
      </button>
    </form>
  );
}

/** Support reaches the hub only through the cloud link: say so when it is off or down. */
function LinkState() {
  const [link, setLink] = useState<HealthReport['components'][string] | null>();
  useEffect(() => {
    // /health answers 503 with the same report when something is down: read the body anyway.
    fetch('/api/v1/health', { headers: { accept: 'application/json' } })
      .then(async (r) => setLink(((await r.json()) as HealthReport).components?.link ?? null))
      .catch(() => setLink(undefined));
  }, []);
  if (link === undefined) return null;
  if (!link || link.status === 'disabled')
    return (
      <Notice tone="warn">
        The cloud link is not set up, so support cannot reach this hub: a grant here has no effect until the link is set up (Settings → Connections).
      </Notice>
    );
  if (link.status !== 'ok')
    return (
      <Notice tone="warn">
        The cloud link is {link.status} ({link.detail}). Support reaches the hub only while the link is online.
      </Notice>
    );
  return <p class="muted">Support reaches this hub through the cloud link, only while a session below is open.</p>;
}
