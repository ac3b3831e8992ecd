import { useEffect, useState } from 'preact/hooks';
import { ApiError, post } from '../../api/client';
import type { Envelope, GateOutcome, HubEvents } from '../../api/types';
import { useHubEvents } from '../../api/events';

/** Where one entity's last request stands, as the card shows it. */
export type ActionState =
  | { kind: 'idle' }
  | { kind: 'sending'; operation: string }
  /** `self`: I may approve it myself with my PIN (no one else could: the sole owner). */
  | { kind: 'waiting'; envelope: Envelope; self?: boolean }
  | { kind: 'done'; tone: 'ok' | 'warn' | 'bad'; text: string };

/**
 * Sends actions for one entity through the gate (POST /actions) and follows an approval it
 * opens through the event stream until it ends.
 */
export function useEntityAction(entityId: string, pending?: Envelope) {
  const [state, setState] = useState<ActionState>({ kind: 'idle' });
  const [error, setError] = useState<ApiError | undefined>();
  // A request of mine still open (after a reload, or from another device): show it waiting.
  useEffect(() => {
    if (pending && state.kind === 'idle')
      setState({ kind: 'waiting', envelope: pending, self: (pending as Envelope & { self_confirm?: boolean }).self_confirm === true });
  }, [pending?.id]);

  useHubEvents(
    (e) => {
      if (state.kind !== 'waiting') return;
      const id = state.envelope.id;
      if (e.type === 'approval.decided') {
        const d = e.data as unknown as HubEvents['approval.decided'];
        if (d.envelope.id === id && d.envelope.state === 'pending') setState({ ...state, envelope: d.envelope });
      }
      if (e.type === 'approval.finished' || e.type === 'approval.decided') {
        const env = (e.type === 'approval.finished' ? e.data : (e.data as { envelope?: unknown }).envelope) as unknown as Envelope;
        if (env?.id === id && env.state !== 'pending' && env.state !== 'approved' && env.state !== 'executing') setState(finished(env));
      }
    },
    [state],
  );

  async function run(operation: string, params?: Record<string, unknown>) {
    setError(undefined);
    setState({ kind: 'sending', operation });
    try {
      const out = await post<GateOutcome>('/actions', { entity_id: entityId, operation, ...(params ? { params } : {}) });
      if (out.status === 'pending') setState({ kind: 'waiting', envelope: out.envelope, self: out.self_confirm === true });
      else if (out.status === 'executed') setState({ kind: 'idle' });
      else if (out.status === 'refused') setState({ kind: 'done', tone: 'bad', text: out.message });
      else setState({ kind: 'done', tone: out.status === 'failed' ? 'bad' : 'warn', text: out.detail.message });
    } catch (err) {
      setState({ kind: 'idle' });
      setError(err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)));
    }
  }

  async function cancel() {
    if (state.kind !== 'waiting') return;
    try {
      setState(finished(await post<Envelope>(`/approvals/${state.envelope.id}/cancel`)));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)));
    }
  }

  return { state, error, run, cancel, settle: (env: Envelope) => setState(finished(env)), dismiss: () => setState({ kind: 'idle' }) };
}

function finished(env: Envelope): ActionState {
  switch (env.state) {
    case 'executed':
      return { kind: 'done', tone: 'ok', text: 'Approved and done.' };
    case 'denied':
      // Who said no, and why when they said (the gate's outcome: "Dana said no: not tonight").
      return { kind: 'done', tone: 'bad', text: env.outcome?.message ? `${env.outcome.message}.` : 'Denied.' };
    case 'expired':
      return { kind: 'done', tone: 'bad', text: 'Nobody approved in time; the request expired.' };
    case 'cancelled':
      return { kind: 'done', tone: 'warn', text: 'Request cancelled.' };
    case 'unconfirmed':
      return { kind: 'done', tone: 'warn', text: `Approved, but the device did not confirm it. ${env.outcome?.message ?? ''}` };
    case 'failed':
      return { kind: 'done', tone: 'bad', text: `Approved, but it failed: ${env.outcome?.message ?? 'no detail'}` };
    default:
      return { kind: 'waiting', envelope: env };
  }
}
