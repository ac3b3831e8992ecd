import { useState } from 'preact/hooks';
import { ApiError, post } from '../../api/client';
import { useHubEvents } from '../../api/events';
import type { Envelope } from '../../api/types';
import { BusyButton, ErrorNote, Loading, PageHead } from '../../components/ui';
import { cap, clock, count, listWords, rolePlural, timeLeft } from '../../lib/format';
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
  const [reason, setReason] = useState('');
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
  // A wrong or missing PIN is about the PIN field: shown beside it.
  const pinError = needPin && error instanceof ApiError && (error.code === 'PIN_REQUIRED' || error.code === 'PIN_INVALID' || error.code === 'PIN_LOCKED');

  async function decide(decision: 'approve' | 'deny') {
    setBusy(true);
    setError(undefined);
    try {
      const why = decision === 'deny' && reason.trim() ? { reason: reason.trim() } : {};
      await post<Envelope>(`/approvals/${a.id}/decision`, decision === 'approve' && pin ? { decision, pin } : { decision, ...why });
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
        Needs {count(a.policy.quorum, 'approval', 'approvals', true)} from {listWords(a.policy.approver_roles.map(rolePlural))}
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
                aria-invalid={pinError ? true : undefined}
                aria-describedby={pinError ? `${pinId}-error` : undefined}
                onInput={(e) => setPin((e.target as HTMLInputElement).value)}
              />
              {pinError ? <ErrorNote id={`${pinId}-error`} error={error} /> : null}
            </div>
          ) : null}
          {mine ? null : (
            <div class="field inline">
              <label for={`why-${a.id}`}>If you say no, why?</label>
              <input
                id={`why-${a.id}`}
                maxLength={200}
                value={reason}
                placeholder="optional"
                onInput={(e) => setReason((e.target as HTMLInputElement).value)}
              />
            </div>
          )}
          <div class="row">
            <BusyButton type="submit" class="primary" busy={busy}>
              Approve
            </BusyButton>
            <BusyButton class="danger" busy={busy} onClick={() => void decide('deny')}>
              Deny
            </BusyButton>
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
      {pinError ? null : <ErrorNote error={error} />}
    </li>
  );
}
