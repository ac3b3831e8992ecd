import { useEffect, useState } from 'preact/hooks';
import { patch } from '../../api/client';
import type { PendingChange, PolicyForm, PolicySettings, Settings } from '../../api/types';
import { PolicyPresets, PolicyPreviewBox } from './policy-preview';
import { ConfirmWithPin, isPending } from '../../components/confirm-pin';
import { ErrorNote, Field, Forbidden, Loading, PageHead } from '../../components/ui';
import { useApi } from '../../lib/use-api';
import { useLocation } from '../../lib/router';
import { fieldErrors } from '../../lib/plain';
import { useSession } from '../../lib/session';
import { ConnectionsEditor } from './connections';
import { ApprovalsEditor } from './policy-approvals';
import { RolesEditor } from './policy-roles';
import { RisksEditor } from './policy-risks';
import { WindowsEditor } from './policy-windows';
import { SettingsBackup } from './backup';
import { DemoSwitch } from './demo-switch';
import { LanguageModel } from './language-model';

const TABS = [
  ['policy', 'Who may do what'],
  ['home', 'Home'],
  ['connections', 'Connections'],
  ['llm', 'Language model'],
  ['backup', 'Export / import'],
] as const;
type Tab = (typeof TABS)[number][0];

/** The owner's settings: the policy in plain words, the home, connections, export and import. */
export function SettingsPage() {
  const res = useApi<Settings>('/settings');
  const asked = useLocation().query.get('tab');
  const [tab, setTab] = useState<Tab>(TABS.some(([id]) => id === asked) ? (asked as Tab) : 'policy');
  if (res.error?.status === 403) return <Forbidden error={res.error} />;
  return (
    <>
      <PageHead title="Settings" />
      <div class="tabs" role="tablist" aria-label="Settings sections" onKeyDown={(e) => moveTab(e, tab, setTab)}>
        {TABS.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-selected={tab === id}
            aria-controls={`panel-${id}`}
            tabIndex={tab === id ? 0 : -1}
            onClick={() => setTab(id)}
          >
            {label}
          </button>
        ))}
      </div>
      <ErrorNote error={res.error} />
      {!res.data ? <Loading /> : null}
      {res.data ? (
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
          {tab === 'policy' ? <PolicyForm policy={res.data.policy} onSaved={() => void res.reload()} /> : null}
          {tab === 'home' ? <HomeForm settings={res.data} onSaved={() => void res.reload()} /> : null}
          {tab === 'connections' ? <ConnectionsEditor settings={res.data} onSaved={() => void res.reload()} /> : null}
          {tab === 'llm' ? <LanguageModel settings={res.data} onSaved={() => void res.reload()} /> : null}
          {tab === 'backup' ? <SettingsBackup onImported={() => void res.reload()} /> : null}
        </div>
      ) : null}
    </>
  );
}

/** The WAI-ARIA tabs pattern: arrows move to the next or previous tab (wrapping), Home and End to the ends; selection follows focus. */
function moveTab(e: KeyboardEvent, tab: Tab, setTab: (t: Tab) => void) {
  const i = TABS.findIndex(([id]) => id === tab);
  const to = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : undefined;
  if (to === undefined) return;
  e.preventDefault();
  const next = TABS[(to + TABS.length) % TABS.length]![0];
  setTab(next);
  document.getElementById(`tab-${next}`)?.focus();
}

function PolicyForm({ policy, onSaved }: { policy: PolicySettings; onSaved: () => void }) {
  const [draft, setDraft] = useState(policy);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const [waiting, setWaiting] = useState<PendingChange | undefined>();
  const form = useApi<PolicyForm>('/policy/form');
  useEffect(() => setDraft(policy), [policy]);
  const dirty = JSON.stringify(draft) !== JSON.stringify(policy);

  async function save(e: Event) {
    e.preventDefault();
    setError(undefined);
    setSaved('');
    setWaiting(undefined);
    try {
      const { risks, overrides, roles, approvals, windows } = draft;
      const r = await patch<{ changed: string[] } | PendingChange>('/settings', { policy: { risks, overrides, roles, approvals, windows } });
      // Changing the policy is a high-risk hub change: it may wait for my PIN (or a second owner).
      if (isPending(r)) return setWaiting(r);
      setSaved(r.changed.length ? `Saved: ${r.changed.length} change${r.changed.length > 1 ? 's' : ''}.` : 'Nothing changed.');
      onSaved();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form onSubmit={save} class="policy">
      {form.data ? (
        <section aria-labelledby="pol-presets">
          <h2 id="pol-presets">Start from a preset</h2>
          <PolicyPresets form={form.data} draft={draft} onChange={setDraft} />
        </section>
      ) : null}
      <section aria-labelledby="pol-approvals">
        <h2 id="pol-approvals">Who approves</h2>
        <p class="muted">Every action has a risk. Low-risk actions run at once; the others wait for these people.</p>
        <ApprovalsEditor value={draft.approvals} onChange={(approvals) => setDraft({ ...draft, approvals })} />
      </section>
      <section aria-labelledby="pol-roles">
        <h2 id="pol-roles">What each person may ask for</h2>
        <RolesEditor value={draft.roles} onChange={(roles) => setDraft({ ...draft, roles })} />
      </section>
      <section aria-labelledby="pol-risks">
        <h2 id="pol-risks">How risky each action is</h2>
        <RisksEditor value={draft} onChange={setDraft} />
      </section>
      <section aria-labelledby="pol-windows">
        <h2 id="pol-windows">Times of day</h2>
        <WindowsEditor value={draft.windows} onChange={(windows) => setDraft({ ...draft, windows })} />
      </section>
      {form.data ? (
        <section aria-labelledby="pol-preview">
          <h2 id="pol-preview">What would happen?</h2>
          <PolicyPreviewBox form={form.data} draft={draft} />
        </section>
      ) : null}
      <div class="savebar">
        <div aria-live="polite">{saved ? <span class="result ok">{saved}</span> : dirty ? <span>Unsaved changes</span> : null}</div>
        <ErrorNote error={error} />
        {waiting ? (
          <ConfirmWithPin
            approvalId={waiting.approval_id}
            selfConfirm={waiting.self_confirm}
            what="change the policy"
            onDone={() => {
              setWaiting(undefined);
              setSaved('Saved.');
              onSaved();
            }}
          />
        ) : null}
        <div class="row">
          <button type="button" disabled={!dirty} onClick={() => setDraft(policy)}>
            Undo changes
          </button>
          <button type="submit" class="primary" disabled={!dirty}>
            Save the policy
          </button>
        </div>
      </div>
    </form>
  );
}

function HomeForm({ settings, onSaved }: { settings: Settings; onSaved: () => void }) {
  const [name, setName] = useState(settings.hub.name);
  const [tz, setTz] = useState(settings.hub.timezone);
  const [country, setCountry] = useState(settings.hub.country ?? '');
  const [demo, setDemo] = useState(settings.hub.demo);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const errors = fieldErrors(error, ['hub.name', 'hub.timezone', 'hub.country']);
  const session = useSession();
  async function save(e: Event) {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      await patch('/settings', { hub: { name, timezone: tz, demo, country: country.trim() ? country.trim().toUpperCase() : null } });
      setSaved(true);
      onSaved();
      void session.refresh(); // the home's name in the header, the time zone of every time shown
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card" onSubmit={save}>
      <Field label="Home name" value={name} onValue={setName} required error={errors.at('hub.name')} />
      <Field label="Time zone" value={tz} onValue={setTz} required hint="An IANA name such as Europe/London." error={errors.at('hub.timezone')} />
      <Field
        label="Country"
        value={country}
        onValue={setCountry}
        hint="Two letters such as GB or US: phone numbers typed without a country code are read as this country's."
        error={errors.at('hub.country')}
      />
      <DemoSwitch value={demo} onValue={setDemo} />
      <div aria-live="polite">{saved ? <p class="result ok">Saved.</p> : null}</div>
      <ErrorNote error={errors.rest} />
      <button type="submit" class="primary">
        Save
      </button>
    </form>
  );
}
