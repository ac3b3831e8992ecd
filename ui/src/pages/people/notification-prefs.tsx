import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Preferences, PreferencesInput } from '../../api/types';
import { ErrorNote, Loading } from '../../components/ui';
import { useApi } from '../../lib/use-api';

const SEVERITIES: Array<[Preferences['min_severity'], string]> = [
  ['info', 'Everything'],
  ['warning', 'Warnings and urgent only'],
  ['urgent', 'Only urgent'],
];
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** One member's notification choices: channels, how much, muted kinds, quiet hours. */
export function NotificationPrefs({ memberId, name }: { memberId: string; name: string }) {
  const res = useApi<Preferences>(`/members/${memberId}/notification-preferences`);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const id = `np-${memberId}`;
  if (res.error) return <ErrorNote error={res.error} />;
  if (!res.data) return <Loading />;
  const p = res.data;
  const set = (patch: Partial<Preferences>) => {
    setSaved(false);
    res.set(() => ({ ...p, ...patch }));
  };

  async function save(e: Event) {
    e.preventDefault();
    setError(undefined);
    try {
      const body: PreferencesInput = p;
      await api<Preferences>('PUT', `/members/${memberId}/notification-preferences`, body);
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form class="prefs" onSubmit={save} aria-label={`Notifications for ${name}`}>
      <div class="grid2">
        <div class="field">
          <label for={`${id}-sev`}>What to send</label>
          <select
            id={`${id}-sev`}
            value={p.min_severity}
            onChange={(e) => set({ min_severity: (e.target as HTMLSelectElement).value as Preferences['min_severity'] })}
          >
            {SEVERITIES.map(([v, t]) => (
              <option key={v} value={v}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={`${id}-ch`}>Channels, in order</label>
          <input
            id={`${id}-ch`}
            value={(p.channels ?? []).join(', ')}
            placeholder="the home's default"
            onChange={(e) => set({ channels: list((e.target as HTMLInputElement).value) })}
          />
        </div>
      </div>
      <label class="check">
        <input
          type="checkbox"
          checked={p.quiet_hours !== null}
          onChange={(e) => set({ quiet_hours: (e.target as HTMLInputElement).checked ? { start: '22:00', end: '07:00' } : null })}
        />{' '}
        Quiet hours
      </label>
      {p.quiet_hours ? (
        <div class="grid2">
          <div class="field">
            <label for={`${id}-qs`}>From</label>
            <input
              id={`${id}-qs`}
              type="time"
              value={p.quiet_hours.start}
              onChange={(e) => set({ quiet_hours: { ...p.quiet_hours!, start: (e.target as HTMLInputElement).value } })}
            />
          </div>
          <div class="field">
            <label for={`${id}-qe`}>To</label>
            <input
              id={`${id}-qe`}
              type="time"
              value={p.quiet_hours.end}
              onChange={(e) => set({ quiet_hours: { ...p.quiet_hours!, end: (e.target as HTMLInputElement).value } })}
            />
          </div>
        </div>
      ) : null}
      <div class="field">
        <label for={`${id}-mute`}>Never send (kinds)</label>
        <input
          id={`${id}-mute`}
          value={p.muted_kinds.join(', ')}
          placeholder="alert.motion, brief."
          onChange={(e) => set({ muted_kinds: list((e.target as HTMLInputElement).value) })}
        />
      </div>
      <p class="preview">
        {name} gets{' '}
        {p.min_severity === 'info' ? 'every notification' : p.min_severity === 'warning' ? 'warnings and urgent notifications' : 'only urgent notifications'}
        {p.channels?.length ? ` by ${p.channels.join(', then ')}` : ''}
        {p.quiet_hours ? `; between ${p.quiet_hours.start} and ${p.quiet_hours.end} only urgent ones, the rest wait` : ''}. Approval requests always get
        through.
      </p>
      <div aria-live="polite">{saved ? <p class="result ok">Saved.</p> : null}</div>
      <ErrorNote error={error} />
      <button type="submit">Save notifications</button>
    </form>
  );
}
