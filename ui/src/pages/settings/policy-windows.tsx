import type { PolicySettings, WindowRule } from '../../api/types';
import { windowSentence } from './policy-words';

/** Stricter rules at some times of day (two approvers to disarm at night). */
export function WindowsEditor({ value, onChange }: { value: PolicySettings['windows']; onChange: (v: WindowRule[]) => void }) {
  const set = (i: number, patch: Partial<WindowRule>) => onChange(value.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  return (
    <div class="stack">
      {value.length === 0 ? <p class="muted">No time windows: the same rules apply all day.</p> : null}
      {value.map((w, i) => {
        const id = `win-${i}`;
        return (
          <fieldset key={i} class="card">
            <legend>Time window {i + 1}</legend>
            <div class="field">
              <label for={`${id}-match`}>Applies to</label>
              <input
                id={`${id}-match`}
                value={w.match}
                onChange={(e) => set(i, { match: (e.target as HTMLInputElement).value.trim() })}
                placeholder="alarm_control_panel.*:alarm_disarm"
              />
            </div>
            <div class="grid3">
              <div class="field">
                <label for={`${id}-from`}>From</label>
                <input id={`${id}-from`} type="time" value={w.from} onChange={(e) => set(i, { from: (e.target as HTMLInputElement).value })} />
              </div>
              <div class="field">
                <label for={`${id}-to`}>To</label>
                <input id={`${id}-to`} type="time" value={w.to} onChange={(e) => set(i, { to: (e.target as HTMLInputElement).value })} />
              </div>
              <div class="field">
                <label for={`${id}-q`}>Approvals needed</label>
                <input
                  id={`${id}-q`}
                  type="number"
                  min={1}
                  max={10}
                  value={w.quorum ?? ''}
                  onInput={(e) => {
                    const n = Number((e.target as HTMLInputElement).value);
                    set(i, { quorum: n >= 1 ? n : undefined });
                  }}
                />
              </div>
            </div>
            <p class="preview" aria-live="polite">
              {windowSentence(w)}
            </p>
            <button type="button" class="link danger" onClick={() => onChange(value.filter((_, j) => j !== i))}>
              Remove this window
            </button>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => onChange([...value, { match: 'lock.*:unlock', from: '23:00', to: '06:00', quorum: 1 }])}>
        Add a time window
      </button>
    </div>
  );
}
