import { useMemo, useState } from 'preact/hooks';
import { patch } from '../../api/client';
import type { Settings } from '../../api/types';
import { ErrorNote, Field } from '../../components/ui';
import { markSkipped } from './wizard';

/** The country of the browser's language ("en-GB" → GB), a first guess at the home's. */
const guessCountry = (): string => /-([A-Z]{2})\b/.exec(navigator.language)?.[1] ?? '';

/** Step 2: the home's name, time zone and country (settings hub.name, hub.timezone, hub.country). */
export function HomeStep({ settings, onDone }: { settings: Settings; onDone: () => void }) {
  const guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [name, setName] = useState(settings.hub.name === 'Home' ? '' : settings.hub.name);
  const [tz, setTz] = useState(settings.hub.timezone === 'UTC' && guess ? guess : settings.hub.timezone);
  const [country, setCountry] = useState(settings.hub.country ?? guessCountry());
  const [error, setError] = useState<unknown>();
  const zones = useMemo(() => {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    return intl.supportedValuesOf?.('timeZone') ?? [];
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    try {
      await patch('/settings', { hub: { name: name || 'Home', timezone: tz, ...(country.trim() ? { country: country.trim().toUpperCase() } : {}) } });
      markSkipped('home');
      onDone();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form class="card" onSubmit={submit}>
      <h2>Name your home</h2>
      <Field
        label="Home name"
        name="home_name"
        required
        value={name}
        onValue={setName}
        placeholder="The Smiths' house"
        hint="Shown here and in messages to the family."
      />
      <Field label="Time zone" name="timezone" list="tz-list" required value={tz} onValue={setTz} hint="Quiet hours and time windows follow it." />
      <Field
        label="Country"
        name="country"
        value={country}
        onValue={setCountry}
        placeholder="GB"
        hint="Two letters such as GB or US, so phone numbers can be typed the local way."
      />
      <datalist id="tz-list">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <ErrorNote error={error} />
      <button type="submit" class="primary">
        Save and continue
      </button>
    </form>
  );
}
