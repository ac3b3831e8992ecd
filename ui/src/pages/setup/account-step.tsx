import { useState } from 'preact/hooks';
import { ApiError, post } from '../../api/client';
import type { SetupBody } from '../../api/types';
import { BusyButton, ErrorNote, Field } from '../../components/ui';
import { fieldErrors } from '../../lib/plain';

/** Step 1: the one-time setup code (in <data>/setup-code, also printed at start) and the owner. */
export function AccountStep({ onDone }: { onDone: () => Promise<void> }) {
  const [form, setForm] = useState<SetupBody & { pin: string; confirm: string }>({
    setup_code: '',
    username: '',
    display_name: '',
    password: '',
    pin: '',
    confirm: '',
  });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  const errors = fieldErrors(error, ['setup_code', 'display_name', 'username', 'password', 'confirm', 'pin']);

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    if (form.password !== form.confirm) return setError(new ApiError(400, 'PASSWORDS_DIFFER', 'The two passwords differ.', undefined, 'confirm'));
    setBusy(true);
    try {
      const { confirm: _c, pin, ...rest } = form;
      const body: SetupBody = pin ? { ...rest, pin } : rest;
      // Setup signs the owner in (its cookie), and that sign-in may make the first changes (adding
      // the family) without a PIN prompt; a second sign-in would not.
      await post('/setup', body);
      await onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" onSubmit={submit}>
      <h2>Create the owner's account</h2>
      <p>
        The hub printed a one-time <strong>setup code</strong> when it first started; it is also in the file <code>setup-code</code> in its data folder.
      </p>
      <Field
        label="Setup code"
        name="setup_code"
        error={errors.at('setup_code')}
        autocomplete="one-time-code"
        required
        value={form.setup_code}
        onValue={set('setup_code')}
      />
      <Field
        label="Your name"
        name="display_name"
        error={errors.at('display_name')}
        autocomplete="name"
        required
        value={form.display_name}
        onValue={set('display_name')}
      />
      <Field
        label="Username"
        name="username"
        error={errors.at('username')}
        autocomplete="username"
        required
        value={form.username}
        onValue={set('username')}
        hint="Letters, digits, dot, dash or underscore."
      />
      <Field
        label="Password"
        name="password"
        error={errors.at('password')}
        type="password"
        autocomplete="new-password"
        required
        minLength={10}
        value={form.password}
        onValue={set('password')}
        hint="At least 10 characters."
      />
      <Field
        label="Password again"
        name="confirm"
        error={errors.at('confirm')}
        type="password"
        autocomplete="new-password"
        required
        value={form.confirm}
        onValue={set('confirm')}
      />
      <Field
        label="PIN"
        name="pin"
        error={errors.at('pin')}
        type="password"
        inputMode="numeric"
        autocomplete="off"
        pattern="\d{4,8}"
        required
        value={form.pin}
        onValue={set('pin')}
        hint="4 to 8 digits. You type it to approve risky things, such as unlocking the front door."
      />
      <ErrorNote error={errors.rest} />
      <BusyButton type="submit" class="primary" busy={busy} busyText="Creating…">
        Create account
      </BusyButton>
    </form>
  );
}
