import type { ApprovalRule, PolicySettings, Role } from '../../api/types';
import { cap, rolePlural } from '../../lib/format';
import { approvalSentence, RISK_WORDS } from './policy-words';

const APPROVER_ROLES: Role[] = ['owner', 'adult', 'elder'];
type Level = 'medium' | 'high' | 'critical';

/** Who approves each risk above low: roles, how many, PIN, expiry, own requests. */
export function ApprovalsEditor({ value, onChange }: { value: PolicySettings['approvals']; onChange: (v: PolicySettings['approvals']) => void }) {
  const set = (level: Level, patch: Partial<ApprovalRule>) => onChange({ ...value, [level]: { ...value[level], ...patch } });
  return (
    <div class="stack">
      {(['medium', 'high', 'critical'] as const).map((level) => {
        const r = value[level];
        const id = `appr-${level}`;
        return (
          <fieldset key={level} class="card">
            <legend>{RISK_WORDS[level]} risk</legend>
            <div class="checks" role="group" aria-label={`Who approves ${level}-risk actions`}>
              <span class="label">Who approves</span>
              {APPROVER_ROLES.map((role) => (
                <label key={role} class="check">
                  <input
                    type="checkbox"
                    checked={r.approver_roles.includes(role)}
                    onChange={(e) => {
                      const on = (e.target as HTMLInputElement).checked;
                      const next = on ? [...r.approver_roles, role] : r.approver_roles.filter((x) => x !== role);
                      if (next.length) set(level, { approver_roles: next });
                    }}
                  />
                  {cap(rolePlural(role))}
                </label>
              ))}
            </div>
            <div class="grid2">
              <div class="field">
                <label for={`${id}-q`}>How many approvals</label>
                <input
                  id={`${id}-q`}
                  type="number"
                  min={1}
                  max={10}
                  value={r.quorum}
                  onInput={(e) => set(level, { quorum: Math.max(1, Number((e.target as HTMLInputElement).value) || 1) })}
                />
              </div>
              <div class="field">
                <label for={`${id}-x`}>Minutes to decide</label>
                <input
                  id={`${id}-x`}
                  type="number"
                  min={1}
                  max={1440}
                  value={Math.round(r.expiry_s / 60)}
                  onInput={(e) => set(level, { expiry_s: Math.max(1, Number((e.target as HTMLInputElement).value) || 1) * 60 })}
                />
              </div>
            </div>
            <label class="check">
              <input type="checkbox" checked={r.step_up} onChange={(e) => set(level, { step_up: (e.target as HTMLInputElement).checked })} /> Approvers confirm
              with their PIN
            </label>
            <label class="check">
              <input
                type="checkbox"
                checked={r.exclude_requester}
                onChange={(e) => set(level, { exclude_requester: (e.target as HTMLInputElement).checked })}
              />{' '}
              Nobody approves their own request
            </label>
            <label class="check">
              <input type="checkbox" checked={r.deny_ends} onChange={(e) => set(level, { deny_ends: (e.target as HTMLInputElement).checked })} /> One “no” ends
              the request
            </label>
            <p class="preview" aria-live="polite">
              {approvalSentence(level, r)}
            </p>
          </fieldset>
        );
      })}
    </div>
  );
}
