import { useState } from 'preact/hooks';
import { ApiError, post } from '../../api/client';
import { useHubEvents } from '../../api/events';
import type { Envelope } from '../../api/types';
import { ErrorNote, Loading, PageHead } from '../../components/ui';
import { cap, clock, listWords, roleWords, timeLeft } from '../../lib/format';
import { History } from './history';
import { actionWords, useNames } from '../../lib/names';
import { useSession } from '../../lib/session';
import { useApi, useTick } from '../../lib/use-api';

type List = { approvals: Envelope[] };

/** Pending requests first (what, who asked, risk, time left), then the history, page by page. */
export function ApprovalsPage() {
  const pending = useApi<List>('/approvals?state=pending&limit=100');
  const names = useNames();
  // Bumped after a decision here, so the history takes the request in without waiting for the event.
  const [version, setVersion] = useState(0);
  useHubEvents((e) => void (e.type.startsWith('approval.') && pending.reload()), [pending.reload]);
  return (
    <>
      <PageHead title="Approvals" />
      <section aria-labelledby="pending-title">
        <h2 id="pending-title">Waiting for a decision</h2>
        <ErrorNote error={pending.error} />
        {!pending.data && !pending.error ? <Loading /> : null}
        <div aria-live="polite">
          {pending.data && pending.data.approvals.length === 0 ? <p class="muted">Nothing is waiting.</p> : null}
          <ul class="approvals">
            {pending.data?.approvals.map((a) => (
              <PendingCard
                key={a.id}
                envelope={a}
                names={names}
                onDecided={() => {
                  void pending.reload();
                  setVersion((v) => v + 1);
                }}
              />
            ))}
          </ul>
        </div>
      </section>
      <History version={version} />
    </>
  );
}

function PendingCard({ envelope: a, names, onDecided }: { envelope: Envelope; names: ReturnType<typeof useNames>; onDecided: () => void }) {
  const { me } = useSession();
  const now = useTick();
  const [pin, setPin] = useState('');
  const [needPin, setNeedPin] = useState(a.policy.step_up || a.origin.member_id === me.id);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const mine = a.origin.member_id === me.id;
  // My own request I may approve with my PIN when no one else could (the sole owner) or for a hub change.
  const selfConfirm = (a as Envelope & { self_confirm?: boolean }).self_confirm === true;
  const mayDecide = a.policy.approver_roles.includes(me.role) && (!(mine && a.policy.exclude_requester) || selfConfirm);
  const decided = a.decisions.some((d) => d.member_id === me.id);
  const what = actionWords(a.action.operation, names.entity(a.action.entity_id), a.action.params);
  const pinId = `pin-${a.id}`;

  async function decide(decision: 'approve' | 'deny') {
    setBusy(true);
    setError(undefined);
    try {
      await post<Envelope>(`/approvals/${a.id}/decision`, decision === 'approve' && pin ? { decision, pin } : { decision });
      onDecided();
    } catch (err) {
      // The policy asks for the PIN: show the field, with the API's words.
      if (err instanceof ApiError && (err.code === 'PIN_REQUIRED' || err.code === 'PIN_INVALID')) {
        setNeedPin(true);
        setTimeout(() => document.getElementById(pinId)?.focus(), 0);
      }
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  async function cancel() {
    try {
      await post(`/approvals/${a.id}/cancel`);
      onDecided();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <li class={`card approval risk-${a.risk}`} data-approval={a.id}>
      <div class="row spread">
        <h3>{cap(what)}</h3>
        <span class={`tag risk risk-${a.risk}`}>{a.risk} risk</span>
      </div>
      <p>
        Asked by <strong>{names.member(a.origin.member_id)}</strong> via {a.origin.channel} at {clock(a.created_at)}
        {a.reason ? <>: “{a.reason}”</> : null}
      </p>
      <p class="muted">
        Needs {a.policy.quorum > 1 ? `${a.policy.quorum} approvals` : 'one approval'} from {a.policy.quorum > 1 ? '' : 'an '}
        {listWords(a.policy.approver_roles.map((r) => roleWords[r]!.toLowerCase()))}
        {a.policy.step_up ? ', with a PIN' : ''} · <span class="countdown">{timeLeft(a.expires_at, now)}</span>
      </p>
      {mayDecide && !decided ? (
        <form
          class="decide"
          onSubmit={(e) => {
            e.preventDefault();
            void decide('approve');
          }}
        >
          {needPin ? (
            <div class="field inline">
              <label for={pinId}>Your PIN</label>
              <input
                id={pinId}
                type="password"
                inputMode="numeric"
                autocomplete="off"
                pattern="\d{4,8}"
                value={pin}
                onInput={(e) => setPin((e.target as HTMLInputElement).value)}
              />
            </div>
          ) : null}
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              Approve
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => void decide('deny')}>
              Deny
            </button>
          </div>
        </form>
      ) : (
        <p class="muted small">{decided ? 'You have decided; waiting for others.' : mine ? 'You asked for this.' : 'Someone else decides this one.'}</p>
      )}
      {mine ? (
        <button type="button" class="link" onClick={() => void cancel()}>
          Cancel my request
        </button>
      ) : null}
      <ErrorNote error={error} />
    </li>
  );
}
