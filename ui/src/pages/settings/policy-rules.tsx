import type { Entity } from '../../api/types';
import { cap } from '../../lib/format';
import { actionWords } from '../../lib/names';
import { shortName } from '../home/controls';
import { ANY, HUB, kindWords, kinds, operationsOf, pick, toPattern, type PickedRule } from './policy-rule-words';

/** Devices by room ("Elsewhere" last), then by name, for the device picker's groups. */
function byRoom(entities: Entity[]): Array<[string, Entity[]]> {
  const rooms = new Map<string, Entity[]>();
  for (const e of entities) rooms.set(e.area ?? 'Elsewhere', [...(rooms.get(e.area ?? 'Elsewhere') ?? []), e]);
  return [...rooms]
    .sort(([a], [b]) => (a === 'Elsewhere' ? 1 : b === 'Elsewhere' ? -1 : a.localeCompare(b)))
    .map(([room, list]) => [room, list.sort((a, b) => shortName(a).localeCompare(shortName(b)))]);
}

/**
 * One list of a role's rules (what they may ask for, or the exceptions): each rule a device picker
 * (every device, all of a kind, or one device by room and name) and an action picker (the
 * operations those devices support). Stored as the policy's patterns; one the pickers cannot show
 * stays an editable pattern, and says so.
 */
export function RuleList({
  id,
  label,
  patterns,
  entities,
  onChange,
}: {
  id: string;
  label: string;
  patterns: string[];
  entities: Entity[];
  onChange: (patterns: string[]) => void;
}) {
  const devices = entities.filter((e) => operationsOf(e.id, entities).length > 0);
  const set = (i: number, r: PickedRule) => onChange(patterns.map((p, j) => (j === i ? toPattern(r) : p)));
  return (
    <fieldset class="rule-list" id={id}>
      <legend>{label}</legend>
      {patterns.length === 0 ? <p class="muted small">Nothing.</p> : null}
      {patterns.map((p, i) => {
        const r = pick(p, entities);
        const n = `${id}-${i}`;
        return (
          <div class="rule-row" key={`${i}-${p}`}>
            {'pattern' in r ? (
              <div class="field">
                <label for={`${n}-pattern`}>Pattern</label>
                <input
                  id={`${n}-pattern`}
                  value={r.pattern}
                  aria-describedby={`${n}-hint`}
                  onChange={(e) => set(i, { pattern: (e.target as HTMLInputElement).value.trim() })}
                />
                <small id={`${n}-hint`} class="hint">
                  The pickers cannot show this rule (a device that is not there, or a wildcard in a name), so it stays a pattern: <code>light.*</code> is every
                  light, <code>lock.front_door:unlock</code> one action.
                </small>
              </div>
            ) : (
              <>
                <div class="field">
                  <label for={`${n}-device`}>Devices</label>
                  <select
                    id={`${n}-device`}
                    value={r.device}
                    onChange={(e) => {
                      const device = (e.target as HTMLSelectElement).value;
                      set(i, { device, operation: operationsOf(device, entities).includes(r.operation) ? r.operation : ANY });
                    }}
                  >
                    <optgroup label="Kinds">
                      <option value={ANY}>Every device</option>
                      {kinds().map((k) => (
                        <option key={k} value={`${k}.*`}>
                          All {kindWords(k)}
                        </option>
                      ))}
                      <option value={HUB}>The hub's own settings</option>
                    </optgroup>
                    {byRoom(devices).map(([room, list]) => (
                      <optgroup key={room} label={room}>
                        {list.map((e) => (
                          <option key={e.id} value={e.id}>
                            {shortName(e)}
                          </option>
                        ))}
                      </optgroup>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for={`${n}-action`}>Actions</label>
                  <select
                    id={`${n}-action`}
                    value={r.operation}
                    onChange={(e) => set(i, { device: r.device, operation: (e.target as HTMLSelectElement).value })}
                  >
                    <option value={ANY}>Anything</option>
                    {operationsOf(r.device, entities).map((o) => (
                      <option key={o} value={o}>
                        {cap(actionWords(o, '').trim())}
                      </option>
                    ))}
                  </select>
                </div>
              </>
            )}
            <button
              type="button"
              class="secondary"
              aria-label={`Remove rule ${i + 1} of ${label.toLowerCase()}`}
              onClick={() => onChange(patterns.filter((_, j) => j !== i))}
            >
              Remove
            </button>
          </div>
        );
      })}
      <button type="button" class="secondary" onClick={() => onChange([...patterns, 'light.*'])}>
        Add a rule
      </button>
    </fieldset>
  );
}
