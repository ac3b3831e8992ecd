import { useId, useState } from 'preact/hooks';
import { patch } from '../../api/client';
import type { Entity, Risk, Settings } from '../../api/types';
import { ErrorNote, Field } from '../../components/ui';
import { RISKS, RISK_WORDS } from '../settings/policy-words';

/**
 * The owner's edits to one device: its name, its room, hidden from Home, and how risky
 * everything it does is (a per-entity risk in the policy, `policy.overrides[id]['*']`).
 */
export function EditDevice({
  entity,
  rooms,
  settings,
  onSaved,
  onCancel,
}: {
  entity: Entity;
  rooms: string[];
  settings?: Settings;
  onSaved: (e: Entity) => void;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(entity.name);
  const [room, setRoom] = useState(entity.area ?? '');
  const [hidden, setHidden] = useState(entity.hidden === true);
  const current = settings?.policy.overrides[entity.id]?.['*'] ?? '';
  const [risk, setRisk] = useState<string>(current);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const listId = useId();
  const riskId = useId();

  async function save(ev: Event) {
    ev.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const next = await patch<Entity>(`/entities/${encodeURIComponent(entity.id)}`, {
        name: name.trim() === (entity.source_name ?? entity.name) ? null : name.trim(),
        area: room.trim() ? room.trim() : null,
        hidden,
      });
      if (settings && risk && risk !== current) await patch('/settings', { policy: { overrides: { [entity.id]: { '*': risk } } } });
      onSaved(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="edit-device" onSubmit={save} aria-label={`Edit ${entity.name}`}>
      <Field
        label="Name"
        value={name}
        onValue={setName}
        required
        maxLength={80}
        hint={entity.source_name ? `Its own name is “${entity.source_name}”.` : undefined}
      />
      <Field
        label="Room"
        value={room}
        onValue={setRoom}
        list={listId}
        maxLength={80}
        placeholder="Kitchen, Hall, Garden…"
        hint="Home groups devices by room."
      />
      <datalist id={listId}>
        {rooms.map((r) => (
          <option key={r} value={r} />
        ))}
      </datalist>
      <label class="check">
        <input type="checkbox" checked={hidden} onChange={(e) => setHidden((e.target as HTMLInputElement).checked)} /> Hide from Home (it keeps working, and
        stays listed here)
      </label>
      {settings ? (
        <div class="field">
          <label for={riskId}>How risky is using it</label>
          <select id={riskId} value={risk} onChange={(e) => setRisk((e.target as HTMLSelectElement).value)}>
            {current ? null : <option value="">As for any {entity.domain.replace(/_/g, ' ')} (built in)</option>}
            {RISKS.map((r: Risk) => (
              <option key={r} value={r}>
                {RISK_WORDS[r]}
              </option>
            ))}
          </select>
          <small class="hint">Low runs at once; higher risks wait for the approvers set under Settings.</small>
        </div>
      ) : null}
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {busy ? 'Saving…' : 'Save'}
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
