import { useEffect, useState } from 'preact/hooks';

// One EventSource for the whole app; pages subscribe to the event names they care about.
export interface HubEvent {
  type: string;
  data: Record<string, unknown>;
}
type Handler = (e: HubEvent) => void;

/** Names the hub sends; named SSE events need a listener each. */
const NAMES = [
  'entity.state_changed',
  'entity.added',
  'entity.updated',
  'entity.removed',
  'entity.availability',
  'approval.requested',
  'approval.created',
  'approval.decided',
  'approval.updated',
  'approval.approved',
  'approval.denied',
  'approval.expired',
  'approval.cancelled',
  'approval.executed',
  'approval.failed',
  'approval.unconfirmed',
  'approval.state_changed',
  'approval.finished',
  'action.executed',
  'gate.alert',
  'notification.created',
  'hello',
  'ping',
];

const handlers = new Set<Handler>();
const statusListeners = new Set<(s: Status) => void>();
export type Status = 'connecting' | 'live' | 'offline';
let status: Status = 'connecting';
let source: EventSource | null = null;

function setStatus(s: Status): void {
  status = s;
  for (const l of statusListeners) l(s);
}

function dispatch(type: string, raw: string): void {
  let data: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object') data = parsed as Record<string, unknown>;
  } catch {
    return;
  }
  // Some servers wrap: {type, data} in the default "message" event.
  if (type === 'message' && typeof data.type === 'string') {
    type = data.type;
    data = (data.data ?? data.payload ?? data) as Record<string, unknown>;
  }
  for (const h of handlers) {
    try {
      h({ type, data });
    } catch (err) {
      console.error('event handler failed', err);
    }
  }
}

export function connectEvents(): void {
  if (source) return;
  setStatus('connecting');
  source = new EventSource('/api/v1/events', { withCredentials: true });
  source.onopen = () => setStatus('live');
  // EventSource reconnects by itself; we only report the state.
  source.onerror = () => setStatus(source?.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
  source.onmessage = (e) => dispatch('message', e.data as string);
  for (const name of NAMES) source.addEventListener(name, (e) => dispatch(name, (e as MessageEvent).data as string));
}

export function disconnectEvents(): void {
  source?.close();
  source = null;
  setStatus('offline');
}

export function useHubEvents(handler: Handler, deps: unknown[] = []): void {
  useEffect(() => {
    handlers.add(handler);
    return () => void handlers.delete(handler);
    // The caller names the deps that should re-register its handler.
  }, deps);
}

export function useEventStatus(): Status {
  const [s, setS] = useState(status);
  useEffect(() => {
    statusListeners.add(setS);
    return () => void statusListeners.delete(setS);
  }, []);
  return s;
}
