import { DOMAINS } from 'virtual:domains';
import type { Entity } from '../../api/types';

type Run = (operation: string, params?: Record<string, unknown>) => void;
interface Props {
  entity: Entity;
  run: Run;
  busy: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The control the entity's domain description asks for (src/devices/domains/); sensors only show their value. */
export function Control({ entity, run, busy }: Props) {
  const off = !entity.available || entity.state === 'unavailable';
  const dis = busy || off;
  switch (DOMAINS[entity.domain]?.control) {
    case 'dimmer':
      return <LightControl entity={entity} run={run} busy={dis} />;
    case 'toggle':
      return <Toggle entity={entity} run={run} busy={dis} />;
    case 'lock': {
      const locked = entity.state === 'locked';
      return (
        <button type="button" class={locked ? '' : 'primary'} disabled={dis} onClick={() => run(locked ? 'unlock' : 'lock')}>
          {locked ? 'Unlock' : 'Lock'}
        </button>
      );
    }
    case 'open_close':
      return (
        <div class="row tight">
          <button type="button" disabled={dis || entity.state === 'open'} onClick={() => run('open_cover')}>
            Open
          </button>
          <button type="button" disabled={dis || entity.state === 'closed'} onClick={() => run('close_cover')}>
            Close
          </button>
        </div>
      );
    case 'alarm':
      return (
        <div class="row tight">
          <button type="button" disabled={dis || entity.state === 'armed_away'} onClick={() => run('alarm_arm_away')}>
            Arm away
          </button>
          <button type="button" disabled={dis || entity.state === 'armed_home'} onClick={() => run('alarm_arm_home')}>
            Arm home
          </button>
          <button type="button" disabled={dis || entity.state === 'disarmed'} onClick={() => run('alarm_disarm')}>
            Disarm
          </button>
        </div>
      );
    case 'thermostat':
      return <Thermostat entity={entity} run={run} busy={dis} />;
    case 'press':
      return (
        <button type="button" disabled={dis} onClick={() => run('press')}>
          Press
        </button>
      );
    case 'activate':
      return (
        <button type="button" disabled={dis} onClick={() => run('turn_on')}>
          Activate
        </button>
      );
    default:
      return null;
  }
}

function Toggle({ entity, run, busy }: Props) {
  const on = entity.state === 'on';
  return (
    <button
      type="button"
      class={`switch ${on ? 'on' : ''}`}
      role="switch"
      aria-checked={on}
      aria-label={`${entity.name}: ${on ? 'on' : 'off'}`}
      disabled={busy}
      onClick={() => run(on ? 'turn_off' : 'turn_on')}
    >
      <span class="knob" aria-hidden="true" />
    </button>
  );
}

function LightControl({ entity, run, busy }: Props) {
  const b = num(entity.attributes.brightness);
  const dimmable =
    b !== undefined ||
    (Array.isArray(entity.attributes.supported_color_modes) && (entity.attributes.supported_color_modes as string[]).some((m) => m !== 'onoff'));
  const pct = b === undefined ? (entity.state === 'on' ? 100 : 0) : Math.round((b / 255) * 100);
  return (
    <div class="light">
      <Toggle entity={entity} run={run} busy={busy} />
      {dimmable ? (
        <label class="dimmer">
          <span class="sr-only">{entity.name} brightness</span>
          <input
            type="range"
            min={1}
            max={100}
            value={entity.state === 'on' ? pct || 1 : 1}
            disabled={busy}
            aria-valuetext={`${pct} percent`}
            onChange={(e) => run('turn_on', { brightness: Math.round((Number((e.target as HTMLInputElement).value) / 100) * 255) })}
          />
        </label>
      ) : null}
    </div>
  );
}

function Thermostat({ entity, run, busy }: Props) {
  const target = num(entity.attributes.temperature);
  const step = num(entity.attributes.target_temp_step) ?? 0.5;
  const set = (t: number) => run('set_temperature', { temperature: Math.round(t / step) * step });
  return (
    <div class="thermostat">
      <button type="button" disabled={busy || target === undefined} onClick={() => set((target ?? 20) - step)} aria-label={`Lower ${entity.name} target`}>
        −
      </button>
      <span class="target" aria-live="polite">
        {target === undefined ? '—' : `${target}°`}
        <small>target</small>
      </span>
      <button type="button" disabled={busy || target === undefined} onClick={() => set((target ?? 20) + step)} aria-label={`Raise ${entity.name} target`}>
        +
      </button>
    </div>
  );
}

const BINARY: Record<string, [string, string]> = {
  door: ['Open', 'Closed'],
  window: ['Open', 'Closed'],
  garage_door: ['Open', 'Closed'],
  opening: ['Open', 'Closed'],
  motion: ['Motion', 'Clear'],
  occupancy: ['Occupied', 'Clear'],
  presence: ['Home', 'Away'],
  smoke: ['Smoke!', 'Clear'],
  moisture: ['Wet!', 'Dry'],
  battery: ['Low', 'Normal'],
  connectivity: ['Connected', 'Disconnected'],
};

/** The state in words: "Locked", "21.5 °C", "Open". */
export function stateText(e: Entity): string {
  if (!e.available || e.state === 'unavailable') return 'Unavailable';
  if (e.state === 'unknown') return 'Unknown';
  const a = e.attributes;
  if (e.domain === 'sensor') return `${e.state}${typeof a.unit_of_measurement === 'string' ? ` ${a.unit_of_measurement}` : ''}`;
  if (e.domain === 'binary_sensor') {
    const words = BINARY[String(a.device_class ?? '')] ?? ['On', 'Off'];
    return e.state === 'on' ? words[0] : words[1];
  }
  if (e.domain === 'climate') {
    const cur = num(a.current_temperature);
    return `${e.state === 'off' ? 'Off' : cap(e.state)}${cur !== undefined ? ` · ${cur}° now` : ''}`;
  }
  if (e.domain === 'light' && e.state === 'on' && num(a.brightness) !== undefined) return `On · ${Math.round((num(a.brightness)! / 255) * 100)}%`;
  return cap(e.state.replace(/_/g, ' '));
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The group each domain goes into on Home, from its description. */
export const DOMAIN_WORDS: Record<string, string> = Object.fromEntries(Object.entries(DOMAINS).map(([domain, d]) => [domain, d.group]));

/** Order of the groups when grouped by type: the things that protect the home first. */
export const DOMAIN_ORDER = ['lock', 'alarm_control_panel', 'cover', 'climate', 'light', 'switch', 'fan', 'scene', 'binary_sensor', 'sensor'];

/** "Demo home Front door" → "Front door": the device's name is already the card's context. */
export function shortName(e: Entity): string {
  const d = e.device?.name;
  if (d && e.name.startsWith(`${d} `) && e.name.length > d.length + 1) return e.name.slice(d.length + 1);
  return e.name;
}
