import { useState } from 'preact/hooks';
import { get, patch, post } from '../../api/client';
import type { CreateMemberBody, MemberList, MemberView, PendingChange, Role, UpdateMemberBody } from '../../api/types';
import { ErrorNote, Field, Select } from '../../components/ui';
import { ConfirmWithPin, isPending } from '../../components/confirm-pin';
import { roleWords } from '../../lib/format';

export const ROLE_OPTIONS: Array<[Role, string]> = [
  ['adult', 'Adult — runs the home, approves'],
  ['child', 'Child — lights and the like'],
  ['elder', 'Elder — check-in calls'],
  ['guest', 'Guest — very little'],
  ['owner', 'Owner — everything'],
];

/** Add a member (no `member`) or edit one. Empty optional fields are left out of the request. */
export function MemberForm({ member, onDone, onCancel }: { member?: MemberView; onDone: (m: MemberView) => void; onCancel?: () => void }) {
  const [f, setF] = useState({
    username: member?.username ?? '',
    display_name: member?.display_name ?? '',
    role: (member?.role ?? 'adult') as Role,
    password: '',
    pin: '',
    phone: member?.phone ?? '',
  });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // Adding a person, a role, another's password or PIN: a hub change that may wait for my PIN.
  const [waiting, setWaiting] = useState<PendingChange | undefined>();
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (member) {
        const body: UpdateMemberBody = {};
        if (f.display_name !== member.display_name) body.display_name = f.display_name;
        if (f.role !== member.role) body.role = f.role;
        if (f.password) body.password = f.password;
        if (f.pin) body.pin = f.pin;
        if (f.phone !== (member.phone ?? '')) body.phone = f.phone || null;
        const out = await patch<MemberView | PendingChange>(`/members/${member.id}`, body);
        if (isPending(out)) setWaiting(out);
        else onDone(out);
      } else {
        const body: CreateMemberBody = { username: f.username, display_name: f.display_name, role: f.role };
        if (f.password) body.password = f.password;
        if (f.pin) body.pin = f.pin;
        if (f.phone) body.phone = f.phone;
        const out = await post<MemberView | PendingChange>('/members', body);
        if (isPending(out)) setWaiting(out);
        else onDone(out);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  /** Once confirmed: the member as stored now. */
  async function confirmed() {
    if (member) return onDone(await get<MemberView>(`/members/${member.id}`));
    const list = await get<MemberList>('/members');
    const made = list.members.find((m) => m.username.toLowerCase() === f.username.toLowerCase());
    if (made) onDone(made as MemberView);
  }

  const prefix = member ? `edit-${member.id}` : 'new';
  const what = member
    ? `change ${member.display_name}'s account`
    : `add ${f.display_name || f.username} as ${f.role === 'owner' ? 'an owner' : `a member (${roleWords[f.role]?.toLowerCase()})`}`;
  return (
    <form class="card member-form" onSubmit={submit} aria-label={member ? `Edit ${member.display_name}` : 'Add a person'}>
      <h3>{member ? `Edit ${member.display_name}` : 'Add a person'}</h3>
      <Field id={`${prefix}-name`} label="Name" name="display_name" required value={f.display_name} onValue={set('display_name')} />
      {member ? null : (
        <Field
          id={`${prefix}-username`}
          label="Username"
          name="username"
          autocomplete="off"
          required
          value={f.username}
          onValue={set('username')}
          hint="They sign in with it."
        />
      )}
      <Select label="Role" value={f.role} onValue={set('role')} options={ROLE_OPTIONS} />
      <Field
        id={`${prefix}-password`}
        label={member ? 'New password' : 'Password'}
        name="password"
        type="password"
        autocomplete="new-password"
        value={f.password}
        onValue={set('password')}
        hint={member ? 'Leave empty to keep it.' : 'At least 10 characters. Optional for people who only use Telegram or phone calls.'}
      />
      <Field
        id={`${prefix}-pin`}
        label={member ? 'New PIN' : 'PIN'}
        name="pin"
        type="password"
        inputMode="numeric"
        autocomplete="off"
        pattern="\d{4,8}"
        value={f.pin}
        onValue={set('pin')}
        hint="4 to 8 digits, to approve risky things."
      />
      <Field
        id={`${prefix}-phone`}
        label="Phone"
        name="phone"
        type="tel"
        autocomplete="off"
        value={f.phone}
        onValue={set('phone')}
        placeholder="+15551234567"
        hint="For check-in calls and SMS, in international form."
      />
      <ErrorNote error={error} />
      {waiting ? (
        <ConfirmWithPin approvalId={waiting.approval_id} selfConfirm={waiting.self_confirm} what={what} onDone={() => void confirmed().catch(setError)} />
      ) : null}
      <div class="row" hidden={waiting !== undefined}>
        <button type="submit" class="primary" disabled={busy}>
          {member ? 'Save' : 'Add'}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
