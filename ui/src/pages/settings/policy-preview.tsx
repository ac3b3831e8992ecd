import { useState } from 'preact/hooks';
import { post } from '../../api/client';
import type { Entity, MemberList, PolicyForm, PolicyPreview, PolicySettings } from '../../api/types';
import { BusyButton, ErrorNote, Select } from '../../components/ui';
import { cap, count, roleWords } from '../../lib/format';
import { actionWords } from '../../lib/names';
import { useApi } from '../../lib/use-api';
import { shortName } from '../home/controls';
import { roles } from './policy-words';

type Preset = keyof PolicyForm['presets'];
const PRESETS: Array<[Preset, string, string]> = [
  ['relaxed', 'Relaxed', 'Adults do medium-risk things at once; adults may approve high-risk ones; no night rules.'],
  ['balanced', 'Balanced', "Hearth's defaults: everyday things at once; unlocking and disarming need an owner's yes with a PIN."],
  ['strict', 'Strict', 'More waits for an owner with a PIN; children keep to low-risk things; unlocking at night is critical.'],
];
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Three starting points; choosing one changes the draft (roles, approvals, times of day), saved with the form. */
export function PolicyPresets({ form, draft, onChange }: { form: PolicyForm; draft: PolicySettings; onChange: (p: PolicySettings) => void }) {
  return (
    <div class="policy-presets" role="group" aria-label="Presets">
      {PRESETS.map(([name, label, what]) => {
        const p = form.presets[name];
        const on = same(p.roles, draft.roles) && same(p.approvals, draft.approvals) && same(p.windows, draft.windows);
        return (
          <button key={name} type="button" aria-pressed={on} title={what} onClick={() => onChange({ ...draft, ...structuredClone(p) })}>
            {label}
          </button>
        );
      })}
      <p class="muted small" style="flex-basis: 100%; margin: 0">
        {PRESETS.map(([, label, what]) => `${label}: ${what}`).join(' ')}
      </p>
    </div>
  );
}

/**
 * "What happens if Sam unlocks the front door at 23:00?": asks the server to evaluate the draft
 * policy (POST /policy/preview) without acting; the answer in a sentence.
 */
export function PolicyPreviewBox({ form, draft }: { form: PolicyForm; draft: PolicySettings }) {
  const members = useApi<MemberList>('/members');
  const entities = useApi<{ entities: Entity[] }>('/entities');
  const people = (members.data?.members ?? []).filter((m) => !('disabled' in m && m.disabled));
  const devices = (entities.data?.entities ?? []).filter((e) => (form.operations[e.domain] ?? []).length > 0 && !e.hidden);
  const [who, setWho] = useState('');
  const [what, setWhat] = useState('');
  const [op, setOp] = useState('');
  const [time, setTime] = useState('23:00');
  const [answer, setAnswer] = useState<{ text: string; tone: 'ok' | 'warn' | 'bad' }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const member = people.find((m) => m.id === who) ?? people[0];
  const entity = devices.find((e) => e.id === what) ?? devices.find((e) => e.domain === 'lock') ?? devices[0];
  const ops = entity ? (form.operations[entity.domain] ?? []) : [];
  const operation = ops.includes(op) ? op : (ops.find((o) => o === 'unlock') ?? ops[0] ?? '');

  async function ask() {
    if (!member || !entity || !operation) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await post<PolicyPreview>('/policy/preview', { member_id: member.id, entity_id: entity.id, operation, time, policy: draft });
      setAnswer(previewWords(r, member.display_name, actionWords(operation, shortName(entity)), time));
    } catch (err) {
      setAnswer(undefined);
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="card">
      <p class="muted">Try the policy on this page, before or after saving it. Nothing is done and nothing is recorded.</p>
      <div class="preview-form">
        <Select
          label="Who"
          value={member?.id ?? ''}
          onValue={setWho}
          options={people.map((m) => [m.id, `${m.display_name} (${roleWords[m.role] ?? m.role})`])}
        />
        <Select label="Device" value={entity?.id ?? ''} onValue={setWhat} options={devices.map((e) => [e.id, shortName(e)])} />
        <Select label="Action" value={operation} onValue={setOp} options={ops.map((o) => [o, actionWords(o, '').trim()])} />
        <div class="field">
          <label for="preview-time">At</label>
          <input id="preview-time" type="time" value={time} onInput={(e) => setTime((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <BusyButton busy={busy} busyText="Asking…" onClick={() => void ask()} disabled={!member || !entity}>
        What would happen?
      </BusyButton>
      <div aria-live="polite">{answer ? <p class={`result ${answer.tone} policy-answer`}>{answer.text}</p> : null}</div>
      <ErrorNote error={error} />
    </div>
  );
}

/** The server's verdict as a sentence: runs at once, waits for whom, or refused and why. */
export function previewWords(r: PolicyPreview, name: string, what: string, time: string): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  const ask = `If ${name} asks to ${what} at ${time}`;
  if (r.outcome === 'refused') return { tone: 'bad', text: `${ask}, the home's rules say no: ${r.message ?? r.code}.` };
  if (r.outcome === 'direct') return { tone: 'ok', text: `${ask}, it runs at once (${r.risk} risk).` };
  const need = `it waits for ${count(r.quorum ?? 1, 'approval', 'approvals', true)} from ${roles(r.approver_roles ?? [])}${r.exclude_requester && r.approver_roles?.includes(r.role as never) ? ` other than ${name}` : ''} (${r.risk} risk)`;
  const who = r.self_confirm
    ? `; no one else can approve it, so ${name} confirms it with their PIN`
    : (r.approvers ?? 0) < (r.quorum ?? 1)
      ? `, but no one can approve it yet: it would be refused`
      : `; ${count(r.approvers ?? 0, 'person', 'people')} can approve it`;
  return { tone: (r.approvers ?? 0) < (r.quorum ?? 1) && !r.self_confirm ? 'bad' : 'warn', text: `${cap(ask)}, ${need}${who}.` };
}
