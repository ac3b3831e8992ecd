import type { PolicySettings, Risk, RoleRule } from '../../api/types';
import { listOf, type EntityList } from '../../lib/devices';
import { useApi } from '../../lib/use-api';
import { RuleList } from './policy-rules';
import { cap, rolePlural } from '../../lib/format';
import { roleSentence } from './policy-words';
import { RiskOptions } from './policy-risks';

type Roles = PolicySettings['roles'];
const ROLE_KEYS = ['owner', 'adult', 'elder', 'child', 'guest', 'support', 'system'] as const;
const riskOrNull = (v: string): Risk | null => (v === '' ? null : (v as Risk));

/** What each role may ask for, the highest risk, and up to which risk it runs without asking. */
export function RolesEditor({ value, onChange }: { value: Roles; onChange: (v: Roles) => void }) {
  const entities = listOf(useApi<EntityList>('/entities').data).filter((e) => !e.hidden);
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
            <details open={r.allow.length > 0 && r.allow.length <= 8}>
              <summary>Which devices and actions</summary>
              <div class="grid2">
                <RuleList id={`${id}-allow`} label="May ask for" patterns={r.allow} entities={entities} onChange={(allow) => set(role, { allow })} />
                <RuleList id={`${id}-deny`} label="Except" patterns={r.deny} entities={entities} onChange={(deny) => set(role, { deny })} />
              </div>
            </details>
            <p class="preview" aria-live="polite">
              {roleSentence(role, r, entities)}
            </p>
          </fieldset>
        );
      })}
    </div>
  );
}
