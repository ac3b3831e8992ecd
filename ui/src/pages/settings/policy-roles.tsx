import type { PolicySettings, Risk, RoleRule } from '../../api/types';
import { cap, rolePlural } from '../../lib/format';
import { roleSentence } from './policy-words';
import { RiskOptions } from './policy-risks';

type Roles = PolicySettings['roles'];
const ROLE_KEYS = ['owner', 'adult', 'elder', 'child', 'guest', 'support', 'system'] as const;
const riskOrNull = (v: string): Risk | null => (v === '' ? null : (v as Risk));
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** What each role may ask for, the highest risk, and up to which risk it runs without asking. */
export function RolesEditor({ value, onChange }: { value: Roles; onChange: (v: Roles) => void }) {
  const set = (role: (typeof ROLE_KEYS)[number], patch: Partial<RoleRule>) => onChange({ ...value, [role]: { ...value[role], ...patch } });
  return (
    <div class="stack">
      {ROLE_KEYS.map((role) => {
        const r = value[role];
        const id = `role-${role}`;
        return (
          <fieldset key={role} class="card">
            <legend>{role === 'system' ? 'Automations (no person)' : cap(rolePlural(role))}</legend>
            <div class="grid2">
              <div class="field">
                <label for={`${id}-max`}>Highest risk they may ask for</label>
                <select id={`${id}-max`} value={r.max_risk ?? ''} onChange={(e) => set(role, { max_risk: riskOrNull((e.target as HTMLSelectElement).value) })}>
                  <option value="">Nothing at all</option>
                  <RiskOptions />
                </select>
              </div>
              <div class="field">
                <label for={`${id}-direct`}>Runs without approval up to</label>
                <select
                  id={`${id}-direct`}
                  value={r.direct_max_risk ?? ''}
                  onChange={(e) => set(role, { direct_max_risk: riskOrNull((e.target as HTMLSelectElement).value) })}
                >
                  <option value="">Always ask</option>
                  <RiskOptions />
                </select>
              </div>
            </div>
            <details>
              <summary>Which devices (advanced)</summary>
              <div class="field">
                <label for={`${id}-allow`}>May ask for</label>
                <input
                  id={`${id}-allow`}
                  value={r.allow.join(', ')}
                  onChange={(e) => set(role, { allow: list((e.target as HTMLInputElement).value) })}
                  aria-describedby={`${id}-hint`}
                />
              </div>
              <div class="field">
                <label for={`${id}-deny`}>Except</label>
                <input
                  id={`${id}-deny`}
                  value={r.deny.join(', ')}
                  onChange={(e) => set(role, { deny: list((e.target as HTMLInputElement).value) })}
                  aria-describedby={`${id}-hint`}
                />
              </div>
              <small id={`${id}-hint`} class="hint">
                Comma-separated: <code>light.*</code> (all lights), <code>lock.front_door:unlock</code>, <code>*:unlock</code>, <code>*</code> (everything).
              </small>
            </details>
            <p class="preview" aria-live="polite">
              {roleSentence(role, r)}
            </p>
          </fieldset>
        );
      })}
    </div>
  );
}
