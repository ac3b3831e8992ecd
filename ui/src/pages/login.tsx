import { useState } from 'preact/hooks';
import { post } from '../api/client';
import type { LoginBody, SignedIn } from '../api/types';
import { ErrorNote, Field } from '../components/ui';

export function LoginPage({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const [form, setForm] = useState<LoginBody>({ username: '', password: '' });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await post<SignedIn>('/auth/login', form);
      await onSignedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="narrow">
      <h1 id="page-title" tabIndex={-1}>
        <span aria-hidden="true">⌂ </span>Hearth
      </h1>
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h2 id="login-title">Sign in</h2>
        <Field label="Username" name="username" autocomplete="username" required value={form.username} onValue={(v) => setForm({ ...form, username: v })} />
        <Field
          label="Password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={form.password}
          onValue={(v) => setForm({ ...form, password: v })}
        />
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
