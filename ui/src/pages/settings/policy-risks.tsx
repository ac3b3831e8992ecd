import type { Entity, PolicySettings, Risk } from '../../api/types';
import { useApi } from '../../lib/use-api';
import { RISKS, RISK_WORDS } from './policy-words';
import { DEFAULT_RISK_TABLE } from './default-risks';

type EntityList = Entity[] | { entities: Entity[] };
const OPS: Record<string, string[]> = {
  lock: ['unlock', 'lock'],
  cover: ['open_cover', 'close_cover'],
  alarm_control_panel: ['alarm_disarm', 'alarm_arm_away', 'alarm_arm_home'],
  light: ['turn_on', 'turn_off'],
  switch: ['turn_on', 'turn_off'],
  climate: ['set_temperature'],
  fan: ['turn_on', 'turn_off'],
  siren: ['turn_on'],
  camera: ['turn_off'],
  valve: ['open_valve', 'close_valve'],
};

/** The risk of what each device does, with the built-in value shown and any change of the owner's. */
export function RisksEditor({ value, onChange }: { value: PolicySettings; onChange: (v: PolicySettings) => void }) {
  const res = useApi<EntityList>('/entities');
  const entities = (Array.isArray(res.data) ? res.data : (res.data?.entities ?? [])).filter((e) => OPS[e.domain]);
  const base = (e: Entity, op: string): Risk => {
    const cls = typeof e.attributes.device_class === 'string' ? `${e.domain}:${e.attributes.device_class}` : '';
    const table = { ...DEFAULT_RISK_TABLE, ...value.risks };
    return (cls && table[cls]?.[op]) || table[cls]?.['*'] || table[e.domain]?.[op] || table[e.domain]?.['*'] || 'medium';
  };
  const set = (entityId: string, op: string, risk: string) => {
    const current = { ...(value.overrides[entityId] ?? {}) };
    if (risk === '') delete current[op];
    else current[op] = risk as Risk;
    const overrides = { ...value.overrides, [entityId]: current };
    if (Object.keys(current).length === 0) delete overrides[entityId];
    onChange({ ...value, overrides });
  };
  return (
    <div class="table-wrap" tabIndex={0} aria-label="Risk of each action">
      <table class="risks">
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Action</th>
            <th scope="col">Risk</th>
          </tr>
        </thead>
        <tbody>
          {entities.flatMap((e) =>
            OPS[e.domain]!.map((op) => {
              const own = value.overrides[e.id]?.[op];
              const id = `risk-${e.id}-${op}`;
              return (
                <tr key={id}>
                  <td>{e.name}</td>
                  <td>
                    <label for={id}>{op.replace(/_/g, ' ')}</label>
                  </td>
                  <td>
                    <select id={id} value={own ?? ''} onChange={(ev) => set(e.id, op, (ev.target as HTMLSelectElement).value)} class={own ? 'changed' : ''}>
                      <option value="">Usual ({RISK_WORDS[base(e, op)].toLowerCase()})</option>
                      <RiskOptions />
                    </select>
                  </td>
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The four risks as <option>s, for every risk picker in the policy forms. */
export function RiskOptions() {
  return (
    <>
      {RISKS.map((k) => (
        <option key={k} value={k}>
          {RISK_WORDS[k]}
        </option>
      ))}
    </>
  );
}
