import { useState } from 'preact/hooks';
import type { MemberView } from '../../api/types';
import { roleWords } from '../../lib/format';
import { MemberForm } from '../people/member-form';
import { markSkipped } from './wizard';

/** Step 4: the rest of the household. */
export function FamilyStep({ onDone }: { onDone: () => void }) {
  const [added, setAdded] = useState<MemberView[]>([]);
  const [formKey, setFormKey] = useState(0);
  return (
    <section>
      <h2>Add your family</h2>
      <p>Each person gets their own sign-in, role and PIN. You can add more later under People.</p>
      <p class="muted">
        Who approves what: everyday things run at once; unlocking a door or opening the garage needs an owner's yes with their PIN, and adults approve the
        medium-risk rest. While you are the only owner you confirm your own requests with your PIN; adding a second owner means someone else can approve yours.
      </p>
      {added.length ? (
        <ul class="plain" aria-live="polite">
          {added.map((m) => (
            <li key={m.id}>
              ✓ {m.display_name} ({roleWords[m.role]}) added
            </li>
          ))}
        </ul>
      ) : null}
      <MemberForm
        key={formKey}
        onDone={(m) => {
          setAdded([...added, m]);
          setFormKey(formKey + 1);
        }}
      />
      <div class="row">
        <button
          type="button"
          class="primary"
          onClick={() => {
            markSkipped('family');
            onDone();
          }}
        >
          {added.length ? 'Finish' : 'Skip for now'}
        </button>
      </div>
    </section>
  );
}
