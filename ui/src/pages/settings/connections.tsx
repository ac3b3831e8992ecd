import { useState } from 'preact/hooks';
import { patch, post } from '../../api/client';
import type { ConnectionKind, Settings, TestConnectionResult } from '../../api/types';
import { BusyButton, ErrorNote, Field } from '../../components/ui';
import { isAbout, plainConnection } from '../../lib/plain';

interface FieldSpec {
  key: string;
  label: string;
  secret?: boolean;
  hint?: string;
  placeholder?: string;
}
const KINDS: Array<{ kind: ConnectionKind; title: string; what: string; fields: FieldSpec[] }> = [
  {
    kind: 'homeassistant',
    title: 'Home Assistant',
    what: 'Brings in the lights, locks and sensors Home Assistant already knows.',
    fields: [
      { key: 'url', label: 'Home Assistant address', placeholder: 'http://homeassistant.local:8123' },
      { key: 'token', label: 'Long-lived access token', secret: true, hint: 'In Home Assistant: your profile → Security → Long-lived access tokens.' },
    ],
  },
  {
    kind: 'telegram',
    title: 'Telegram bot',
    what: 'The family asks, approves and gets alerts in Telegram.',
    fields: [{ key: 'token', label: 'Bot token', secret: true, hint: 'From @BotFather in Telegram.' }],
  },
  {
    kind: 'twilio',
    title: 'Twilio (phone calls)',
    what: 'Daily check-in calls and SMS, for elders without a smartphone.',
    fields: [
      { key: 'account_sid', label: 'Account SID', placeholder: 'AC…' },
      { key: 'auth_token', label: 'Auth token', secret: true },
      { key: 'from', label: 'Calling number', placeholder: '+15551234567' },
      {
        key: 'public_url',
        label: 'Public address',
        placeholder: 'https://hub.example.org',
        hint: "Where Twilio reaches the hub (or the relay's hooks URL for this hub). Calls cannot be answered without it.",
      },
    ],
  },
  {
    kind: 'link',
    title: 'Cloud link',
    what: 'Remote approvals and support without opening a port on your router.',
    fields: [
      { key: 'url', label: 'Broker address', placeholder: 'mqtts://relay.example:8883' },
      { key: 'hub_id', label: 'Hub id' },
      { key: 'username', label: 'Username' },
      { key: 'password', label: 'Password', secret: true },
    ],
  },
];

/** The four outside connections, each with "Test connection" and "Save". */
export function ConnectionsEditor({ settings, onSaved }: { settings: Settings; onSaved?: () => void }) {
  return (
    <div class="stack">
      {KINDS.map((k) => (
        <ConnectionCard key={k.kind} spec={k} saved={settings[k.kind] as Record<string, unknown>} onSaved={onSaved} />
      ))}
    </div>
  );
}

function ConnectionCard({ spec, saved, onSaved }: { spec: (typeof KINDS)[number]; saved: Record<string, unknown>; onSaved?: () => void }) {
  const initial = Object.fromEntries(spec.fields.map((f) => [f.key, f.secret ? '' : String(saved[f.key] ?? '')]));
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [result, setResult] = useState<TestConnectionResult>();
  const [error, setError] = useState<unknown>();
  const [savedMsg, setSavedMsg] = useState('');
  const [busy, setBusy] = useState(false);
  const configured = spec.fields.some((f) => saved[f.key] !== undefined);
  // A failed test in plain words, beside the field it concerns (the address, the token); else under the form.
  const failed = result?.status === 'fail' ? plainConnection(result.detail) : undefined;
  const failedField = failed?.field && spec.fields.some((f) => f.key === failed.field) ? failed.field : undefined;
  const errorField = spec.fields.find((f) => isAbout(error, `${spec.kind}.${f.key}`))?.key;
  const fieldError = (key: string): unknown =>
    key === errorField ? error : key === failedField ? <FailedTest sentence={failed!.sentence} detail={result!.detail} /> : undefined;

  async function test() {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await post<TestConnectionResult>('/settings/test-connection', { kind: spec.kind, values }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  async function save(e: Event) {
    e.preventDefault();
    setError(undefined);
    setSavedMsg('');
    const section: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (v.trim()) section[k] = v.trim();
    try {
      const res = await patch<{ changed: string[]; restart_required: string[] }>('/settings', { [spec.kind]: section });
      // Some parts read their settings once (the cloud link): say so instead of a plain "Saved".
      setSavedMsg(res.restart_required.length ? `Saved. Restart the hub to apply it (${res.restart_required.join(', ')}).` : 'Saved.');
      onSaved?.();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form class="card connection" onSubmit={save} aria-labelledby={`conn-${spec.kind}`}>
      <h3 id={`conn-${spec.kind}`}>
        {spec.title} {configured ? <span class="tag ok">configured</span> : <span class="tag">not set</span>}
      </h3>
      <p class="muted">{spec.what}</p>
      {spec.fields.map((f) => (
        <Field
          key={f.key}
          label={f.label}
          name={`${spec.kind}.${f.key}`}
          type={f.secret ? 'password' : 'text'}
          autocomplete="off"
          value={values[f.key]}
          placeholder={f.secret && saved[f.key] !== undefined ? 'saved — leave empty to keep' : f.placeholder}
          hint={f.hint}
          error={fieldError(f.key)}
          onValue={(v) => setValues({ ...values, [f.key]: v })}
        />
      ))}
      <div aria-live="polite">
        {result && !failedField ? (
          <p class={`result ${result.status}`} role={result.status === 'fail' ? 'alert' : 'status'}>
            <strong>{result.status === 'ok' ? 'Connected' : result.status === 'warn' ? 'Works, with a warning' : 'Failed'}:</strong>{' '}
            {failed ? failed.sentence : result.detail}
          </p>
        ) : null}
        {savedMsg ? <p class="result ok">{savedMsg}</p> : null}
      </div>
      {errorField ? null : <ErrorNote error={error} />}
      <div class="row">
        <BusyButton busy={busy} busyText="Testing…" onClick={() => void test()}>
          Test connection
        </BusyButton>
        <button type="submit" class="primary">
          Save
        </button>
      </div>
    </form>
  );
}

/** A failed connection test beside its field: the sentence, then what was tried, in a details line. */
function FailedTest({ sentence, detail }: { sentence: string; detail: string }) {
  return (
    <>
      {sentence}
      <span class="details small"> Details: {detail}</span>
    </>
  );
}
