import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { post } from '../api/client';
import { useHubEvents } from '../api/events';
import type { SayBody, SayReply } from '../api/types';
import { ErrorNote } from './ui';

interface Line {
  id: number;
  who: 'you' | 'hearth';
  text: string;
  status?: string;
}

const MAX_LINES = 60;
const STATUS_WORDS: Record<string, string> = {
  pending: 'waiting for approval',
  executed: 'done',
  refused: 'refused',
  failed: 'failed',
  unconfirmed: 'not confirmed',
  denied: 'denied',
  expired: 'expired',
  cancelled: 'cancelled',
};
/** How a request that waited for approval ended, from the envelope's final state. */
const FINISHED: Record<string, string> = {
  executed: 'Your request was approved and done.',
  denied: 'Your request was denied.',
  expired: 'Your request expired without an answer.',
  cancelled: 'Your request was cancelled.',
  failed: 'Your request was approved, but it did not work.',
  unconfirmed: 'Your request was approved and sent, but I could not confirm it.',
};

/**
 * "Ask Hearth": the dialogue in the web UI, on every signed-in page (POST /api/v1/say, the
 * same conversation as Telegram). Choices are buttons; a step-up approval asks for the PIN in
 * a PIN field, which is never shown back.
 */
export function Chat() {
  const [open, setOpen] = useState(false);
  const [lines, setLines] = useState<Line[]>([]);
  const [last, setLast] = useState<SayReply | undefined>();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const seq = useRef(0);
  /** Requests from this conversation that wait for approval: their end is told here too. */
  const waiting = useRef(new Set<string>());
  const input = useRef<HTMLInputElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const log = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const inputId = useId();
  const pin = last?.intent === 'pin';

  useEffect(() => {
    if (open) input.current?.focus();
  }, [open, pin]);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [lines]);

  const add = (l: Omit<Line, 'id'>) => setLines((ls) => [...ls, { ...l, id: ++seq.current }].slice(-MAX_LINES));

  useHubEvents((e) => {
    const id = typeof e.data.id === 'string' ? e.data.id : undefined;
    const state = typeof e.data.state === 'string' ? e.data.state : '';
    if (e.type !== 'approval.finished' || !id || !waiting.current.delete(id) || !FINISHED[state]) return;
    add({ who: 'hearth', text: FINISHED[state]!, status: state });
  }, []);

  async function say(body: SayBody, shown: string) {
    setBusy(true);
    setError(undefined);
    add({ who: 'you', text: shown });
    try {
      const r = await post<SayReply>('/say', body);
      add({ who: 'hearth', text: r.reply, status: r.outcome?.status });
      for (const o of [r.outcome, ...(r.outcomes ?? [])])
        if (o?.status === 'pending' && o.approval_id && r.intent === 'command') waiting.current.add(o.approval_id);
      setLast(r);
    } catch (err) {
      setError(err);
      setLast(undefined);
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  }

  function submit(e: Event) {
    e.preventDefault();
    const t = text.trim();
    if (!t || busy) return;
    setText('');
    void say({ text: t }, pin ? '••••' : t);
  }

  function close() {
    setOpen(false);
    toggle.current?.focus();
  }

  return (
    <div class="chat">
      {open ? (
        <section id={panelId} class="chat-panel card" aria-label="Ask Hearth" onKeyDown={(e) => e.key === 'Escape' && close()}>
          <div class="chat-head">
            <h2 class="h3">Ask Hearth</h2>
            <button type="button" class="link" onClick={close}>
              Close
            </button>
          </div>
          <div class="chat-log" role="log" aria-live="polite" aria-label="Conversation" ref={log}>
            {lines.length === 0 ? (
              <p class="muted small">Ask about the home or say what to do: “is the garage open?”, “lock up”, “turn off the kitchen light”.</p>
            ) : null}
            {lines.map((l) => (
              <p key={l.id} class={`chat-line ${l.who}`}>
                <span class="sr-only">{l.who === 'you' ? 'You: ' : 'Hearth: '}</span>
                <span class="chat-text">{l.text}</span>
                {l.status && STATUS_WORDS[l.status] ? <span class={`chat-status ${l.status}`}>{STATUS_WORDS[l.status]}</span> : null}
              </p>
            ))}
          </div>
          {last?.choices?.length ? (
            <div class="chat-choices" role="group" aria-label="Choices">
              {last.choices.map((c) => (
                <button type="button" key={c.id} disabled={busy} onClick={() => void say({ choice: c.id }, c.label)}>
                  {c.label}
                </button>
              ))}
            </div>
          ) : null}
          <ErrorNote error={error} />
          <form class="chat-form" onSubmit={submit}>
            <label for={inputId} class={pin ? '' : 'sr-only'}>
              {pin ? 'Your PIN' : 'Message to Hearth'}
            </label>
            {pin ? (
              <input
                key="pin"
                id={inputId}
                ref={input}
                type="password"
                inputMode="numeric"
                pattern="[0-9]{4,8}"
                autoComplete="off"
                maxLength={8}
                required
                value={text}
                onInput={(e) => setText((e.target as HTMLInputElement).value)}
              />
            ) : (
              <input
                key="text"
                id={inputId}
                ref={input}
                type="text"
                autoComplete="off"
                maxLength={1000}
                placeholder="Ask or tell Hearth…"
                value={text}
                onInput={(e) => setText((e.target as HTMLInputElement).value)}
              />
            )}
            <button type="submit" class="primary" disabled={busy}>
              {pin ? 'Approve' : 'Send'}
            </button>
          </form>
        </section>
      ) : null}
      <button
        type="button"
        ref={toggle}
        class="chat-toggle primary"
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => (open ? close() : setOpen(true))}
      >
        {open ? 'Hide chat' : 'Ask Hearth'}
      </button>
    </div>
  );
}
