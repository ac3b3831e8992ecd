import type { Entity, Envelope } from '../../api/types';
import { ErrorNote } from '../../components/ui';
import { clock, listWords, roleWords, timeLeft } from '../../lib/format';
import { useTick } from '../../lib/use-api';
import { useEntityAction } from './action';
import { isDemo } from '../../lib/devices';
import { DemoSensorControl } from './demo-sensor';
import { ConfirmWithPin } from '../../components/confirm-pin';
import { actionWords } from '../../lib/names';
import { Control, shortName, stateText } from './controls';

/** One entity: its name and state, the control for its domain, and where a request stands. */
export function EntityCard({ entity, pending }: { entity: Entity; pending?: Envelope }) {
  const action = useEntityAction(entity.id, pending);
  const busy = action.state.kind === 'sending' || action.state.kind === 'waiting';
  const titleId = `e-${entity.id.replace('.', '-')}`;
  return (
    <li class={`card entity d-${entity.domain} s-${entity.state}`} aria-labelledby={titleId} data-entity={entity.id}>
      <div class="entity-head">
        <h3 id={titleId}>
          <a class="quiet" href={`/devices/${encodeURIComponent(entity.id)}`}>
            {shortName(entity)}
          </a>
        </h3>
        <p class="state" data-testid="state">
          {stateText(entity)}
        </p>
      </div>
      {isDemo(entity) ? <span class="tag demo">Demo</span> : null}
      {entity.warning ? <p class="muted small">{entity.warning}</p> : null}
      <Control entity={entity} run={(op, p) => void action.run(op, p)} busy={busy} />
      {isDemo(entity) ? <DemoSensorControl entity={entity} /> : null}
      <div aria-live="polite" class="action-status">
        {action.state.kind === 'sending' ? <p class="muted small">Sending…</p> : null}
        {action.state.kind === 'waiting' && action.state.self ? (
          <>
            <ConfirmWithPin
              approvalId={action.state.envelope.id}
              selfConfirm
              what={`${actionWords(action.state.envelope.action.operation, shortName(entity), action.state.envelope.action.params)}: no one else can approve it`}
              onDone={action.settle}
            />
            <button type="button" class="link" onClick={() => void action.cancel()}>
              Cancel request
            </button>
          </>
        ) : action.state.kind === 'waiting' ? (
          <Waiting envelope={action.state.envelope} onCancel={() => void action.cancel()} />
        ) : null}
        {action.state.kind === 'done' ? (
          <p class={`result ${action.state.tone}`}>
            {action.state.text}{' '}
            <button type="button" class="link" onClick={action.dismiss}>
              OK
            </button>
          </p>
        ) : null}
      </div>
      <ErrorNote error={action.error} />
    </li>
  );
}

/** "Waiting for approval from the owner, until 20:45 (4 min left)." */
function Waiting({ envelope, onCancel }: { envelope: Envelope; onCancel: () => void }) {
  const now = useTick();
  const p = envelope.policy;
  const who = listWords(p.approver_roles.map((r) => roleWords[r]!.toLowerCase()));
  const approvals = envelope.decisions.filter((d) => d.decision === 'approve').length;
  return (
    <div class="waiting" role="status">
      <p>
        <strong>Waiting for approval</strong> from {p.quorum > 1 ? `${p.quorum} of: ` : 'the '}
        {who}
        {p.quorum > 1 ? ` (${approvals} so far)` : ''}, until {clock(envelope.expires_at)} ({timeLeft(envelope.expires_at, now)}).
      </p>
      <button type="button" class="link" onClick={onCancel}>
        Cancel request
      </button>
    </div>
  );
}
