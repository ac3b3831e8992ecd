import type { Entity } from '../devices/model.js';
import type { QuestionIntent } from './schema.js';
import { own } from '../core/own.js';

/** An entity's state in plain words: "locked", "open", "heating to 21°, now 19.5°". */
export function stateWords(entity: Entity): string {
  if (!entity.available || entity.state === 'unavailable') return 'not responding';
  if (entity.state === 'unknown') return 'in an unknown state';
  const a = entity.attributes;
  const dc = String(a.device_class ?? '');
  switch (entity.domain) {
    case 'binary_sensor':
      if (['door', 'window', 'garage_door', 'opening', 'garage'].includes(dc)) return entity.state === 'on' ? 'open' : 'closed';
      if (['motion', 'occupancy', 'presence'].includes(dc)) return entity.state === 'on' ? 'detecting motion' : 'quiet (no motion)';
      return entity.state === 'on' ? 'on' : 'off';
    case 'alarm_control_panel': {
      const m = /^armed_(\w+)$/.exec(entity.state);
      if (m) return `armed (${m[1]!.replace(/_/g, ' ')})`;
      return entity.state.replace(/_/g, ' ');
    }
    case 'climate': {
      const target = typeof a.temperature === 'number' ? `set to ${a.temperature}°` : undefined;
      const now = typeof a.current_temperature === 'number' ? `${a.current_temperature}° now` : undefined;
      const mode = entity.state === 'off' ? 'off' : entity.state;
      return [mode, target, now].filter(Boolean).join(', ');
    }
    case 'light':
      if (entity.state === 'on' && typeof a.brightness === 'number') return `on (${Math.round((a.brightness / 255) * 100)}%)`;
      return entity.state;
    case 'sensor': {
      const unit = typeof a.unit_of_measurement === 'string' ? a.unit_of_measurement : '';
      return `${entity.state}${unit ? ` ${unit}` : ''}`;
    }
    default:
      return entity.state.replace(/_/g, ' ');
  }
}

/** Whether an entity is in the state a yes/no question asks about. */
export function isInState(entity: Entity, expect: string): boolean {
  const s = entity.state;
  const dc = String(entity.attributes.device_class ?? '');
  const contact = entity.domain === 'binary_sensor' && ['door', 'window', 'garage_door', 'opening', 'garage'].includes(dc);
  switch (expect) {
    case 'open':
      return contact ? s === 'on' : entity.domain === 'lock' ? s === 'unlocked' || s === 'open' || s === 'unlocking' : s === 'open' || s === 'opening';
    case 'closed':
      return contact ? s === 'off' : entity.domain === 'lock' ? s === 'locked' : s === 'closed' || s === 'closing';
    case 'locked':
      return s === 'locked';
    case 'unlocked':
      return s === 'unlocked' || s === 'open';
    case 'armed':
      return s.startsWith('armed');
    case 'disarmed':
      return s === 'disarmed';
    case 'motion':
      return s === 'on';
    case 'off':
      return entity.domain === 'alarm_control_panel' ? s === 'disarmed' : s === 'off';
    case 'on':
      if (entity.domain === 'alarm_control_panel') return s.startsWith('armed') || s === 'triggered';
      return entity.domain === 'climate' ? s !== 'off' : s === 'on';
    default:
      return s === expect;
  }
}

const the = (e: Entity): string => `the ${e.name.charAt(0).toLowerCase()}${e.name.slice(1)}`;
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const names = (list: Entity[]): string => {
  const n = list.map((e) => the(e));
  return n.length <= 1 ? (n[0] ?? '') : `${n.slice(0, -1).join(', ')} and ${n[n.length - 1]}`;
};

/** Answers a question from the registry's current states, in plain words. */
export function answerQuestion(intent: QuestionIntent, lookup: (id: string) => Entity | undefined): string {
  const entities = (intent.entity_ids ?? []).map(lookup).filter((e): e is Entity => e !== undefined);
  if (entities.length === 0) return "I can't find that right now.";
  if (intent.about === 'temperature') {
    return entities
      .map((e) => {
        const t = e.domain === 'climate' ? e.attributes.current_temperature : Number(e.state);
        const reading = typeof t === 'number' && Number.isFinite(t) ? `${t}°` : 'not known';
        const target = e.domain === 'climate' && typeof e.attributes.temperature === 'number' ? ` (set to ${e.attributes.temperature}°)` : '';
        return `${cap(the(e))}: ${e.available ? reading : 'not responding'}${target}.`;
      })
      .join('\n');
  }
  const expect = intent.expect;
  if (!expect) return entities.map((e) => `${cap(the(e))} is ${stateWords(e)}.`).join('\n');
  const yes = entities.filter((e) => e.available && isInState(e, expect));
  const no = entities.filter((e) => !yes.includes(e));
  const word = expect === 'motion' ? 'detecting motion' : expect;
  if (intent.quantifier === 'which') {
    if (yes.length === 0) return `None of them ${entities.length === 1 ? 'is' : 'are'} ${word}.`;
    return `${cap(names(yes))} ${yes.length === 1 ? 'is' : 'are'} ${word}.`;
  }
  if (entities.length === 1) {
    const e = entities[0]!;
    return yes.length ? `Yes, ${the(e)} is ${stateWords(e)}.` : `No, ${the(e)} is ${stateWords(e)}.`;
  }
  if (intent.quantifier === 'any') {
    return yes.length ? `Yes: ${names(yes)} ${yes.length === 1 ? 'is' : 'are'} ${word}.` : `No, none of them ${entities.length === 1 ? 'is' : 'are'} ${word}.`;
  }
  if (no.length === 0) return `Yes, all ${entities.length} are ${word}.`;
  return `No: ${no.map((e) => `${the(e)} is ${stateWords(e)}`).join(', ')}.`;
}

const OPERATION_WORDS: Record<string, string> = {
  turn_on: 'turn on',
  turn_off: 'turn off',
  toggle: 'toggle',
  lock: 'lock',
  unlock: 'unlock',
  open: 'open',
  open_cover: 'open',
  close_cover: 'close',
  stop_cover: 'stop',
  set_cover_position: 'move',
  open_valve: 'open',
  close_valve: 'close',
  alarm_disarm: 'disarm',
  alarm_arm_home: 'arm (home)',
  alarm_arm_away: 'arm (away)',
  alarm_arm_night: 'arm (night)',
  alarm_trigger: 'trigger',
  set_temperature: 'set',
  set_hvac_mode: 'set the mode of',
  set_percentage: 'set',
  press: 'press',
  set_value: 'set',
  select_option: 'set',
};

/** An action in words: "unlock the front door", "set the living room thermostat to 21°". */
export function describeAction(action: { entity_id: string; operation: string; params?: Record<string, unknown> }, entity?: Entity): string {
  // The hub's own changes say what they do ("add Sam as an owner"): the gate's params carry it.
  if (action.entity_id.startsWith('hub.') && typeof action.params?.summary === 'string') return action.params.summary;
  const target = entity ? the(entity) : action.entity_id;
  const verb = own(OPERATION_WORDS, action.operation) ?? action.operation.replace(/_/g, ' ');
  const p = action.params ?? {};
  if (action.operation === 'set_temperature' && p.temperature !== undefined) return `set ${target} to ${String(p.temperature)}°`;
  if (action.operation === 'turn_on' && p.brightness_pct !== undefined) return `turn on ${target} at ${String(p.brightness_pct)}%`;
  if (action.operation === 'set_percentage' && p.percentage !== undefined) return `set ${target} to ${String(p.percentage)}%`;
  if (action.operation === 'set_cover_position' && p.position !== undefined) return `move ${target} to ${String(p.position)}%`;
  if (action.operation === 'set_hvac_mode' && p.hvac_mode !== undefined) return `set ${target} to ${String(p.hvac_mode)}`;
  return `${verb} ${target}`;
}
