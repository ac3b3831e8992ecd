import { useContext, useEffect, useState } from 'preact/hooks';
import { SessionContext } from '../../lib/session';
import { get } from '../../api/client';
import type { Me, MemberList, Settings } from '../../api/types';
import { ErrorNote, Loading } from '../../components/ui';
import { navigate } from '../../lib/router';
import { AccountStep } from './account-step';
import { HomeStep } from './home-step';
import { ConnectionsStep } from './connections-step';
import { FamilyStep } from './family-step';

export type StepId = 'account' | 'home' | 'connections' | 'family';
const STEPS: Array<[StepId, string]> = [
  ['account', 'Your account'],
  ['home', 'Your home'],
  ['connections', 'Connections'],
  ['family', 'Family'],
];

/** Marks for steps that can be skipped (no server state says "skipped"); keyed per hub. */
const SKIP_KEY = 'hearth.setup.skipped';
export function markSkipped(step: StepId): void {
  const s = new Set(JSON.parse(localStorage.getItem(SKIP_KEY) ?? '[]') as string[]);
  s.add(step);
  localStorage.setItem(SKIP_KEY, JSON.stringify([...s]));
}
function skipped(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(SKIP_KEY) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

interface Progress {
  done: Record<StepId, boolean>;
  settings?: Settings;
}

/**
 * Progress comes from the server: the owner exists (setup closed), the home has a name or
 * time zone other than the defaults, a connection is configured, more than one member exists.
 * So the wizard resumes where it was left, on any device.
 */
export async function progress(signedIn: Me | null): Promise<Progress> {
  const s = skipped();
  if (!signedIn) return { done: { account: false, home: false, connections: false, family: false } };
  const settings = await get<Settings>('/settings');
  const members = await get<MemberList>('/members').catch(() => ({ members: [] }));
  const connected = Boolean(settings.homeassistant.url || settings.telegram.token || settings.twilio.account_sid || settings.link.url);
  return {
    settings,
    done: {
      account: true,
      home: settings.hub.name !== 'Home' || settings.hub.timezone !== 'UTC' || s.has('home'),
      connections: connected || s.has('connections'),
      family: members.members.length > 1 || s.has('family'),
    },
  };
}

export function SetupWizard({ signedIn, onAccount }: { signedIn: Me | null; onAccount: () => Promise<void> }) {
  const [state, setState] = useState<Progress | undefined>();
  const [error, setError] = useState<unknown>();
  const [step, setStep] = useState<StepId | 'done' | undefined>();
  const session = useContext(SessionContext);

  async function refresh(advance = true) {
    try {
      const p = await progress(signedIn);
      setState(p);
      if (advance) setStep(STEPS.find(([id]) => !p.done[id])?.[0] ?? 'done');
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void refresh();
  }, [signedIn?.member.id]);

  if (signedIn && signedIn.member.role !== 'owner') {
    return (
      <section class="card">
        <h1 id="page-title" tabIndex={-1}>
          Setting up
        </h1>
        <p>This home is already set up. Only its owner can change how.</p>
      </section>
    );
  }

  const Wrapper = signedIn ? 'div' : 'main';
  return (
    <Wrapper id={signedIn ? undefined : 'main'} class="wizard narrow">
      <h1 id="page-title" tabIndex={-1}>
        Welcome to Hearth
      </h1>
      <ol class="steps" aria-label="Setup steps">
        {STEPS.map(([id, label], i) => {
          const done = state?.done[id] ?? false;
          const current = step === id;
          return (
            <li key={id} class={`${done ? 'done' : ''} ${current ? 'current' : ''}`} aria-current={current ? 'step' : undefined}>
              {signedIn && id !== 'account' ? (
                <button type="button" class="link" onClick={() => setStep(id)}>
                  <span class="n">{done ? '✓' : i + 1}</span> {label}
                </button>
              ) : (
                <span>
                  <span class="n">{done ? '✓' : i + 1}</span> {label}
                </span>
              )}
              <span class="sr-only">{done ? ' (done)' : ''}</span>
            </li>
          );
        })}
      </ol>
      <ErrorNote error={error} />
      {!state || !step ? <Loading /> : null}
      {step === 'account' ? (
        <AccountStep
          onDone={async () => {
            navigate('/setup', true);
            await onAccount();
          }}
        />
      ) : null}
      {step === 'home' && state?.settings ? <HomeStep settings={state.settings} onDone={() => void session?.refresh().then(() => refresh())} /> : null}
      {step === 'connections' && state?.settings ? <ConnectionsStep settings={state.settings} onDone={() => refresh()} /> : null}
      {step === 'family' ? <FamilyStep onDone={() => refresh()} /> : null}
      {step === 'done' ? (
        <section class="card">
          <h2>All set</h2>
          <p>Your home is ready. You can change any of this later under Settings and People.</p>
          <a class="button primary" href="/">
            Go to your home
          </a>
        </section>
      ) : null}
    </Wrapper>
  );
}
