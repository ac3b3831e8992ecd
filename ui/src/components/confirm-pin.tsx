import { useState } from 'preact/hooks';
import { post } from '../api/client';
import type { Envelope, PendingChange } from '../api/types';
import { ErrorNote } from './ui';

/** A route's 202: the change waits for approval. */
export const isPending = (x: unknown): x is PendingChange =>
  typeof x === 'object' && x !== null && (x as { status?: unknown }).status === 'pending' && typeof (x as { approval_id?: unknown }).approval_id === 'string';

/**
 * A request of mine that waits: when I may confirm it myself (the hub's own changes, or a home
 * where no one else could approve), the PIN field in place; otherwise who it waits for.
 */
export function ConfirmWithPin({
  approvalId,
  selfConfirm,
  what,
  onDone,
}: {
  approvalId: string;
  selfConfirm: boolean;
  what: string;
  onDone: (e: Envelope) => void;
}) {
  const [pin, setPin] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const id = `confirm-${approvalId}`;
  if (!selfConfirm) {
    return (
      <p class="waiting" role="status">
        <strong>Waiting for approval</strong> by another owner: {what}. It is listed under Approvals.
      </p>
    );
  }
  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      const env = await post<Envelope>(`/approvals/${approvalId}/decision`, { decision: 'approve', pin });
      if (env.state === 'executed') onDone(env);
      else setError(new Error(env.outcome?.message ?? `Not done (${env.state}).`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    // A group, not a form: it sits inside the form whose change it confirms.
    <div class="confirm-pin waiting" role="group" aria-label="Confirm with your PIN">
      <p>
        <strong>Confirm with your PIN</strong> to {what}.
      </p>
      <div class="field inline">
        <label for={id}>Your PIN</label>
        <input
          id={id}
          type="password"
          inputMode="numeric"
          autocomplete="off"
          pattern="\d{4,8}"
          value={pin}
          onInput={(e) => setPin((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault();
            void confirm();
          }}
        />
      </div>
      <button type="button" class="primary" disabled={busy || !/^\d{4,8}$/.test(pin)} onClick={() => void confirm()}>
        Confirm
      </button>
      <ErrorNote error={error} />
    </div>
  );
}
