import { useState } from 'preact/hooks';
import { patch, post } from '../../api/client';
import { ErrorNote, Field, PageHead } from '../../components/ui';
import { roleWords } from '../../lib/format';
import { useSession } from '../../lib/session';
import { NotificationPrefs } from '../people/notification-prefs';

/** My account, for every member: password, PIN, notifications, and signing out everywhere. */
export function AccountPage() {
  const { me, home, signOut } = useSession();
  return (
    <>
      <PageHead title="My account" />
      <p>
        {me.display_name}, {roleWords[me.role]?.toLowerCase()} of {home}.
      </p>
      <Secret kind="password" />
      <Secret kind="pin" />
      <section class="card" aria-labelledby="acc-notify">
        <h2 id="acc-notify">My notifications</h2>
        <NotificationPrefs memberId={me.id} name={me.display_name} />
      </section>
      <SignOutEverywhere onDone={() => void signOut()} />
    </>
  );
}

/** A new password or PIN, confirmed with the current password (PATCH /members/me). */
function Secret({ kind }: { kind: 'password' | 'pin' }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const pin = kind === 'pin';
  async function save(e: Event) {
    e.preventDefault();
    setError(undefined);
    setDone(false);
    setBusy(true);
    try {
      await patch('/members/me', { current_password: current, [kind]: next });
      setDone(true);
      setCurrent('');
      setNext('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card" onSubmit={save} aria-labelledby={`acc-${kind}`}>
      <h2 id={`acc-${kind}`}>{pin ? 'Change my PIN' : 'Change my password'}</h2>
      {pin ? <p class="muted">The PIN confirms risky approvals, such as opening the front door.</p> : null}
      <Field label="Current password" type="password" autoComplete="current-password" value={current} onValue={setCurrent} required />
      <Field
        label={pin ? 'New PIN' : 'New password'}
        type="password"
        inputMode={pin ? 'numeric' : undefined}
        autoComplete={pin ? 'off' : 'new-password'}
        pattern={pin ? '\\d{4,8}' : undefined}
        minLength={pin ? 4 : 10}
        hint={pin ? '4 to 8 digits.' : 'At least 10 characters; a few words are easy to remember.'}
        value={next}
        onValue={setNext}
        required
      />
      <ErrorNote error={error} />
      <div aria-live="polite">
        {done ? <p class="result ok">{pin ? 'Your PIN is changed.' : 'Your password is changed. Other devices were signed out.'}</p> : null}
      </div>
      <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
        {busy ? 'Saving…' : pin ? 'Change PIN' : 'Change password'}
      </button>
    </form>
  );
}

function SignOutEverywhere({ onDone }: { onDone: () => void }) {
  const [error, setError] = useState<unknown>();
  async function run() {
    if (!confirm('Sign out on every phone and computer, this one included?')) return;
    try {
      await post('/auth/logout-everywhere');
      onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section class="card" aria-labelledby="acc-out">
      <h2 id="acc-out">Lost a phone?</h2>
      <p>Signing out everywhere ends every session of yours at once; sign in again where you need to.</p>
      <ErrorNote error={error} />
      <button type="button" class="danger" onClick={() => void run()}>
        Sign out everywhere
      </button>
    </section>
  );
}
