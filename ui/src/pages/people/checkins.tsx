import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { AttemptView, CheckinView, MemberSummary } from '../../api/types';
import { ErrorNote, Loading } from '../../components/ui';
import { dateTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const OUTCOME_WORDS: Record<string, string> = {
  ok: 'Fine',
  help: 'Asked for help',
  unclear: 'Could not understand',
  no_answer: 'No answer',
  busy: 'Line busy',
  failed: 'Call failed',
  machine: 'Answering machine',
};
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** People → the elder → Check-ins: the schedule, the order of people to tell, and what happened. */
export function Checkins({ elder, members }: { elder: MemberSummary; members: MemberSummary[] }) {
  const res = useApi<{ checkins: CheckinView[] }>(`/checkins?member_id=${elder.id}`);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  if (res.error) return <ErrorNote error={res.error} />;
  if (!res.data) return <Loading />;
  const existing = res.data.checkins[0];
  const family = members.filter((m) => m.id !== elder.id);
  const nameOf = (id: string | null | undefined) => members.find((m) => m.id === id)?.display_name ?? id ?? '';

  async function save(e: Event) {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const body = {
      times: list(String(f.get('times'))),
      days: DAYS.filter((d) => f.get(`day-${d}`)),
      escalate_to: [f.get('first'), f.get('second'), f.get('third')].map(String).filter((v, i, a) => v && a.indexOf(v) === i),
      retries: Number(f.get('retries')),
      retry_after_min: Number(f.get('spacing')),
    };
    setError(undefined);
    try {
      if (existing) await api('PATCH', `/checkins/${existing.id}`, body);
      else await api('POST', '/checkins', { member_id: elder.id, ...body });
      setSaved('Saved.');
      await res.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function callNow() {
    if (!existing) return;
    try {
      await api('POST', `/checkins/${existing.id}/call`);
      setSaved(`Calling ${elder.display_name} now.`);
    } catch (err) {
      setError(err);
    }
  }

  const order = existing?.escalate_to ?? [];
  const pick = (name: string, label: string, value?: string) => (
    <div class="field">
      <label for={`ck-${elder.id}-${name}`}>{label}</label>
      <select id={`ck-${elder.id}-${name}`} name={name} value={value ?? ''}>
        <option value="">—</option>
        {family.map((m) => (
          <option key={m.id} value={m.id}>
            {m.display_name}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <div class="stack">
      <form class="prefs" onSubmit={save} aria-label={`Check-ins for ${elder.display_name}`}>
        <div class="grid2">
          <div class="field">
            <label for={`ck-${elder.id}-times`}>Call at (home time, comma separated)</label>
            <input id={`ck-${elder.id}-times`} name="times" defaultValue={(existing?.times ?? ['09:30']).join(', ')} placeholder="09:30, 18:00" />
          </div>
          <div class="field">
            <span>Days</span>
            <div class="row">
              {DAYS.map((d) => (
                <label class="check" key={d}>
                  <input type="checkbox" name={`day-${d}`} defaultChecked={!existing || existing.days.includes(d)} /> {d}
                </label>
              ))}
            </div>
          </div>
        </div>
        <div class="grid2">
          {pick('first', 'Tell first', order[0])}
          {pick('second', 'Then call', order[1])}
          {pick('third', 'Then call', order[2])}
        </div>
        <div class="grid2">
          <div class="field">
            <label for={`ck-${elder.id}-retries`}>Call again (times)</label>
            <input id={`ck-${elder.id}-retries`} name="retries" type="number" min={0} max={5} defaultValue={String(existing?.retries ?? 2)} />
          </div>
          <div class="field">
            <label for={`ck-${elder.id}-spacing`}>Minutes between calls</label>
            <input id={`ck-${elder.id}-spacing`} name="spacing" type="number" min={1} max={60} defaultValue={String(existing?.retry_after_min ?? 5)} />
          </div>
        </div>
        <p class="preview">
          {existing?.next_due_at ? `Next call: ${dateTime(existing.next_due_at)}. ` : ''}
          If {elder.display_name} does not answer, {nameOf(order[0]) || 'the first person'} hears first (Telegram, then SMS), then the next people get a call.
          Pressing 2 or saying "help" tells them at once.
        </p>
        <div class="row">
          <button type="submit">{existing ? 'Save' : 'Start check-ins'}</button>
          {existing ? (
            <button type="button" onClick={() => void callNow()}>
              Call now
            </button>
          ) : null}
          <span role="status">{saved}</span>
        </div>
        <ErrorNote error={error} />
      </form>
      {existing ? <Attempts checkinId={existing.id} nameOf={nameOf} /> : null}
    </div>
  );
}

function Attempts({ checkinId, nameOf }: { checkinId: string; nameOf: (id: string | null | undefined) => string }) {
  const res = useApi<AttemptView[]>(`/checkins/${checkinId}/attempts`);
  if (res.error) return <ErrorNote error={res.error} />;
  if (!res.data) return <Loading />;
  if (res.data.length === 0) return <p class="muted">No calls yet.</p>;
  return (
    <table aria-label="Check-in history">
      <thead>
        <tr>
          <th>When</th>
          <th>Outcome</th>
          <th>Calls</th>
          <th>Said</th>
          <th>Family</th>
        </tr>
      </thead>
      <tbody>
        {res.data.map((a) => (
          <tr key={a.id}>
            <td>{dateTime(a.started_at)}</td>
            <td>{a.outcome ? OUTCOME_WORDS[a.outcome] : a.state === 'waiting' ? 'Calling again soon' : 'Calling'}</td>
            <td>
              {a.calls.map((c) => `${c.status}${c.answered_by ? ` (${c.answered_by.startsWith('machine') ? 'machine' : c.answered_by})` : ''}`).join(', ')}
            </td>
            <td>{a.said ?? (a.calls.find((c) => c.digits)?.digits ? `pressed ${a.calls.find((c) => c.digits)!.digits}` : '')}</td>
            <td>
              {a.escalation
                ? `${a.escalation.kind === 'help' ? 'Told: help' : 'Told: no answer'}${a.escalation.ack_by ? `; ${nameOf(a.escalation.ack_by)} took it` : ''}${a.escalation.all_clear_at ? '; all clear sent' : ''}`
                : '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
