import type { Entity } from '../../model.js';
import { mqttPayloadOf } from '../../domains/index.js';
import { cfgNumber, cfgText, type Component, type ComponentConfig } from './config.js';
import { compileTemplate, payloadVars, toText, TemplateError } from './template.js';
import { devicesErrors } from '../../errors.js';

/** What a subscribed topic means for an entity. */
export type BindingKind =
  'state' | 'brightness' | 'position' | 'mode' | 'temperature' | 'current_temperature' | 'percentage' | 'attributes' | 'action' | 'power';
export interface Binding {
  topic: string;
  kind: BindingKind;
  template?: string;
  /** For `power` (Tasmota's JSON RESULT/STATE): the keys that carry this relay's state, first found wins. */
  keys?: string[];
}

export interface StateUpdate {
  state?: string;
  attributes?: Record<string, unknown>;
}

type Cfg = ComponentConfig & Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The topics an entity listens to, with the template each one uses (HA's option names). */
export function bindingsFor(component: Component, cfg: Cfg): Binding[] {
  const out: Binding[] = [];
  const add = (topicKey: string, kind: BindingKind, ...templateKeys: string[]) => {
    const topic = str(cfg[topicKey]);
    if (!topic) return;
    const template = templateKeys.map((k) => str(cfg[k])).find(Boolean);
    out.push({ topic, kind, template });
  };
  switch (component) {
    case 'light':
      if (cfg.schema === 'json') add('state_topic', 'state');
      else {
        add('state_topic', 'state', 'state_value_template', 'value_template');
        add('brightness_state_topic', 'brightness', 'brightness_value_template');
      }
      break;
    case 'fan':
      add('state_topic', 'state', 'state_value_template', 'value_template');
      add('percentage_state_topic', 'percentage', 'percentage_value_template');
      break;
    case 'cover':
      add('state_topic', 'state', 'value_template');
      add('position_topic', 'position', 'position_template');
      break;
    case 'climate':
      add('mode_state_topic', 'mode', 'mode_state_template');
      add('temperature_state_topic', 'temperature', 'temperature_state_template');
      add('current_temperature_topic', 'current_temperature', 'current_temperature_template');
      add('action_topic', 'action', 'action_template');
      break;
    case 'button':
    case 'scene':
      break;
    default:
      add('state_topic', 'state', 'value_template');
  }
  add('json_attributes_topic', 'attributes', 'json_attributes_template');
  return out;
}

/** Attributes that describe the entity (not its state), taken from the config once. */
export function staticAttributes(component: Component, cfg: Cfg): Record<string, unknown> {
  const a: Record<string, unknown> = {};
  if (cfg.device_class) a.device_class = cfg.device_class;
  if (cfg.unit_of_measurement) a.unit_of_measurement = cfg.unit_of_measurement;
  if (cfg.icon) a.icon = cfg.icon;
  if (component === 'climate') {
    a.hvac_modes = Array.isArray(cfg.modes) ? cfg.modes : ['auto', 'off', 'cool', 'heat', 'dry', 'fan_only'];
    a.min_temp = cfgNumber(cfg, 'min_temp', 7);
    a.max_temp = cfgNumber(cfg, 'max_temp', 35);
  }
  if (component === 'light') {
    if (cfg.schema === 'json' ? cfg.brightness === true || Array.isArray(cfg.supported_color_modes) : str(cfg.brightness_command_topic))
      a.supports_brightness = true;
  }
  if (component === 'alarm_control_panel') {
    a.code_arm_required = cfg.code_arm_required !== false && Boolean(cfg.code);
    a.code_disarm_required = cfg.code_disarm_required !== false && Boolean(cfg.code);
  }
  if (component === 'select' && Array.isArray(cfg.options)) a.options = cfg.options;
  if (component === 'number') {
    a.min = cfgNumber(cfg, 'min', 1);
    a.max = cfgNumber(cfg, 'max', 100);
    a.step = cfgNumber(cfg, 'step', 1);
  }
  return a;
}

/** The value a message carries, through its template when there is one. */
function valueOf(payload: string, template: string | undefined): unknown {
  if (!template) return payload;
  return compileTemplate(template).evaluate(payloadVars(payload));
}

/**
 * Turns one message into a state update, as HA's MQTT platforms do. Returns undefined when the
 * payload matches none of the configured values (HA ignores those too). Throws TemplateError.
 */
export function interpret(component: Component, cfg: Cfg, binding: Binding, payload: string): StateUpdate | undefined {
  if (binding.kind === 'attributes') {
    const v = valueOf(payload, binding.template);
    const obj = typeof v === 'string' ? safeJson(v) : v;
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
    const attrs = boundedAttributes(obj as Record<string, unknown>);
    // Like HA, device JSON never overrides what the entity itself derives (brightness is rescaled).
    for (const k of OWN_ATTRIBUTES) delete attrs[k];
    return { attributes: attrs };
  }
  if (binding.kind === 'power') {
    // One JSON message may describe other relays (`{"POWER2":"ON"}`) or none (`{"Dimmer":50}`): ignored.
    const json = safeJson(payload);
    if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
    const obj = json as Record<string, unknown>;
    const key = (binding.keys ?? []).find((k) => typeof obj[k] === 'string');
    return key ? stateFor(component, cfg, obj[key] as string) : undefined;
  }
  if (component === 'light' && cfg.schema === 'json') {
    const json = safeJson(payload) as Record<string, unknown> | undefined;
    if (!json || typeof json !== 'object') return undefined;
    const update: StateUpdate = {};
    if (typeof json.state === 'string') update.state = json.state.toUpperCase() === 'ON' ? 'on' : json.state.toUpperCase() === 'OFF' ? 'off' : undefined;
    if (typeof json.brightness === 'number') update.attributes = { brightness: scaleTo255(json.brightness, cfgNumber(cfg, 'brightness_scale', 255)) };
    if (update.state === undefined) delete update.state;
    return update;
  }
  const raw = valueOf(payload, binding.template);
  if (raw === undefined) return undefined;
  const text = toText(raw);
  switch (binding.kind) {
    case 'brightness': {
      const n = Number(text);
      return Number.isFinite(n) ? { attributes: { brightness: scaleTo255(n, cfgNumber(cfg, 'brightness_scale', 255)) } } : undefined;
    }
    case 'position': {
      const n = Number(text);
      if (!Number.isFinite(n)) return undefined;
      const open = cfgNumber(cfg, 'position_open', 100);
      const closed = cfgNumber(cfg, 'position_closed', 0);
      const pct = Math.round(((n - closed) / (open - closed || 1)) * 100);
      const update: StateUpdate = { attributes: { current_position: pct } };
      if (!str(cfg.state_topic)) update.state = pct <= 0 ? 'closed' : 'open';
      return update;
    }
    case 'percentage': {
      const n = Number(text);
      if (!Number.isFinite(n)) return undefined;
      const min = cfgNumber(cfg, 'speed_range_min', 1);
      const max = cfgNumber(cfg, 'speed_range_max', 100);
      return { attributes: { percentage: n <= 0 ? 0 : Math.round(((n - min + 1) / (max - min + 1)) * 100) } };
    }
    case 'mode':
      return { state: text };
    case 'temperature':
    case 'current_temperature': {
      const n = Number(text);
      return Number.isFinite(n) ? { attributes: { [binding.kind]: n } } : undefined;
    }
    case 'action':
      return { attributes: { hvac_action: text } };
    default:
      return stateFor(component, cfg, text);
  }
}

function stateFor(component: Component, cfg: Cfg, text: string): StateUpdate | undefined {
  switch (component) {
    case 'binary_sensor': {
      if (text === cfgText(cfg, 'payload_on', 'ON')) return { state: 'on' };
      if (text === cfgText(cfg, 'payload_off', 'OFF')) return { state: 'off' };
      return undefined;
    }
    case 'switch':
    case 'siren':
    case 'light':
    case 'fan': {
      const on = cfgText(cfg, 'state_on', cfgText(cfg, 'payload_on', 'ON'));
      const off = cfgText(cfg, 'state_off', cfgText(cfg, 'payload_off', 'OFF'));
      if (text === on) return { state: 'on' };
      if (text === off) return { state: 'off' };
      return undefined;
    }
    case 'lock': {
      const map: [string, string][] = [
        ['state_locked', 'LOCKED'],
        ['state_unlocked', 'UNLOCKED'],
        ['state_locking', 'LOCKING'],
        ['state_unlocking', 'UNLOCKING'],
        ['state_jammed', 'JAMMED'],
        ['state_open', 'OPEN'],
        ['state_opening', 'OPENING'],
      ];
      for (const [key, dflt] of map) if (text === cfgText(cfg, key, dflt)) return { state: key.slice('state_'.length) };
      return undefined;
    }
    case 'cover':
    case 'valve': {
      const map: [string, string][] = [
        ['state_open', 'open'],
        ['state_closed', 'closed'],
        ['state_opening', 'opening'],
        ['state_closing', 'closing'],
        ['state_stopped', 'stopped'],
      ];
      for (const [key, dflt] of map) if (text === cfgText(cfg, key, dflt)) return { state: key === 'state_stopped' ? 'open' : key.slice('state_'.length) };
      if (text === cfgText(cfg, 'payload_open', 'OPEN')) return { state: 'open' };
      if (text === cfgText(cfg, 'payload_close', 'CLOSE')) return { state: 'closed' };
      return undefined;
    }
    case 'alarm_control_panel':
      return ALARM_STATES.has(text) ? { state: text } : undefined;
    default:
      return { state: text.slice(0, 255) };
  }
}

const OWN_ATTRIBUTES = [
  'state',
  'brightness',
  'current_position',
  'percentage',
  'temperature',
  'current_temperature',
  'hvac_action',
  'hvac_modes',
  'min_temp',
  'max_temp',
  'supports_brightness',
  'device_class',
  'unit_of_measurement',
  'icon',
  'friendly_name',
];
const ALARM_STATES = new Set([
  'disarmed',
  'armed_home',
  'armed_away',
  'armed_night',
  'armed_vacation',
  'armed_custom_bypass',
  'pending',
  'triggered',
  'arming',
  'disarming',
]);

function scaleTo255(value: number, scale: number): number {
  return Math.max(0, Math.min(255, Math.round((value / (scale || 255)) * 255)));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function boundedAttributes(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(obj)) {
    if (n++ >= 64) break;
    if (typeof v === 'string' && v.length > 1024) continue;
    // A nested value is kept only when small: a deep one would make every later JSON.stringify
    // of the entity (registry comparison, history, SSE) overflow the stack, a large one bloats
    // each history row.
    if (v !== null && typeof v === 'object' && !smallJson(v)) continue;
    out[k] = v;
  }
  return out;
}

const MAX_NESTED_JSON = 4096;

function smallJson(v: object): boolean {
  try {
    return JSON.stringify(v).length <= MAX_NESTED_JSON;
  } catch {
    return false; // too deep to serialize
  }
}

export interface Command {
  topic: string;
  payload: string;
}

const unsupported = (entity: Entity, operation: string) => devicesErrors.error('UNSUPPORTED_OPERATION', `${entity.id} does not support ${operation} over MQTT`);
const needTopic = (entity: Entity, topic: unknown, what = 'command_topic'): string => {
  const t = str(topic);
  if (!t) throw devicesErrors.error('NOT_COMMANDABLE', `${entity.id} has no ${what}; it cannot be commanded`);
  return t;
};

/** Applies the component's command template (`{{ value }}`, and `{{ action }}`/`{{ code }}` for alarms). */
function templated(cfg: Cfg, key: string, vars: Record<string, unknown>, fallback: string): string {
  const t = str(cfg[key]);
  if (!t) return fallback;
  try {
    return compileTemplate(t).render(vars);
  } catch (err) {
    if (err instanceof TemplateError) throw devicesErrors.error('COMMAND_TEMPLATE', `the device's ${key} cannot be evaluated: ${err.message}`);
    throw err;
  }
}

/** The MQTT messages that carry out an operation, per HA's MQTT platform conventions. */
export function commandsFor(component: Component, cfg: Cfg, entity: Entity, operation: string, params: Record<string, unknown>): Command[] {
  const cmd = (key = 'command_topic') => needTopic(entity, cfg[key], key);
  const onOff = (on: boolean) => {
    const value = on ? cfgText(cfg, 'payload_on', 'ON') : cfgText(cfg, 'payload_off', 'OFF');
    return [{ topic: cmd(), payload: templated(cfg, 'command_template', { value }, value) }];
  };
  const toggleOn = () => (operation === 'toggle' ? entity.state !== 'on' : operation === 'turn_on');
  switch (component) {
    case 'switch':
    case 'siren':
      if (!['turn_on', 'turn_off', 'toggle'].includes(operation)) throw unsupported(entity, operation);
      return onOff(toggleOn());
    case 'light':
      return lightCommands(cfg, entity, operation, params, cmd);
    case 'fan': {
      if (operation === 'set_percentage') {
        const pct = clampNumber(params.percentage, 0, 100, 'percentage');
        const min = cfgNumber(cfg, 'speed_range_min', 1);
        const max = cfgNumber(cfg, 'speed_range_max', 100);
        const value = pct === 0 ? 0 : Math.ceil((pct / 100) * (max - min + 1)) + min - 1;
        return [{ topic: cmd('percentage_command_topic'), payload: templated(cfg, 'percentage_command_template', { value }, String(value)) }];
      }
      if (!['turn_on', 'turn_off', 'toggle'].includes(operation)) throw unsupported(entity, operation);
      return onOff(toggleOn());
    }
    case 'lock': {
      const m = mqttPayloadOf(component, operation);
      if (!m) throw unsupported(entity, operation);
      const value = cfgText(cfg, m[0], m[1]);
      return [{ topic: cmd(), payload: templated(cfg, 'command_template', { value, code: params.code ?? '' }, value) }];
    }
    case 'cover':
    case 'valve': {
      if (operation === 'set_cover_position' || operation === 'set_valve_position') {
        const pct = clampNumber(params.position, 0, 100, 'position');
        const open = cfgNumber(cfg, 'position_open', 100);
        const closed = cfgNumber(cfg, 'position_closed', 0);
        const value = Math.round(closed + (pct / 100) * (open - closed));
        return [{ topic: cmd('set_position_topic'), payload: templated(cfg, 'set_position_template', { position: value, value }, String(value)) }];
      }
      const m = mqttPayloadOf(component, operation);
      if (!m) throw unsupported(entity, operation);
      return [{ topic: cmd(), payload: cfgText(cfg, m[0], m[1]) }];
    }
    case 'alarm_control_panel':
      return alarmCommands(cfg, entity, operation, params, cmd);
    case 'climate':
      return climateCommands(cfg, entity, operation, params, cmd);
    case 'button':
      if (operation !== 'press') throw unsupported(entity, operation);
      return [
        {
          topic: cmd(),
          payload: templated(cfg, 'command_template', { value: cfgText(cfg, 'payload_press', 'PRESS') }, cfgText(cfg, 'payload_press', 'PRESS')),
        },
      ];
    case 'scene':
      if (operation !== 'turn_on') throw unsupported(entity, operation);
      return [{ topic: cmd(), payload: cfgText(cfg, 'payload_on', 'ON') }];
    case 'number': {
      if (operation !== 'set_value') throw unsupported(entity, operation);
      const value = clampNumber(params.value, cfgNumber(cfg, 'min', 1), cfgNumber(cfg, 'max', 100), 'value');
      return [{ topic: cmd(), payload: templated(cfg, 'command_template', { value }, String(value)) }];
    }
    case 'select': {
      if (operation !== 'select_option') throw unsupported(entity, operation);
      const option = String(params.option ?? '');
      if (Array.isArray(cfg.options) && !cfg.options.includes(option))
        throw devicesErrors.error('INVALID_PARAMS', `${option} is not one of ${entity.id}'s options`);
      return [{ topic: cmd(), payload: templated(cfg, 'command_template', { value: option }, option) }];
    }
    default:
      throw unsupported(entity, operation);
  }
}

function lightCommands(cfg: Cfg, entity: Entity, operation: string, params: Record<string, unknown>, cmd: (k?: string) => string): Command[] {
  if (!['turn_on', 'turn_off', 'toggle'].includes(operation)) throw unsupported(entity, operation);
  const on = operation === 'toggle' ? entity.state !== 'on' : operation === 'turn_on';
  const scale = cfgNumber(cfg, 'brightness_scale', 255);
  let brightness: number | undefined;
  if (on && params.brightness !== undefined) brightness = clampNumber(params.brightness, 0, 255, 'brightness');
  if (on && params.brightness_pct !== undefined) brightness = Math.round((clampNumber(params.brightness_pct, 0, 100, 'brightness_pct') / 100) * 255);
  const scaled = brightness === undefined ? undefined : Math.round((brightness / 255) * scale);
  if (cfg.schema === 'json') {
    const body: Record<string, unknown> = { state: on ? 'ON' : 'OFF' };
    if (scaled !== undefined) body.brightness = scaled;
    return [{ topic: cmd(), payload: JSON.stringify(body) }];
  }
  const out: Command[] = [];
  const brightnessOnly = cfg.on_command_type === 'brightness' && scaled !== undefined;
  if (!brightnessOnly) {
    const value = on ? cfgText(cfg, 'payload_on', 'ON') : cfgText(cfg, 'payload_off', 'OFF');
    out.push({ topic: cmd(), payload: value });
  }
  if (scaled !== undefined) {
    const topic = str(cfg.brightness_command_topic);
    if (!topic) throw devicesErrors.error('UNSUPPORTED_PARAMS', `${entity.id} does not support brightness`);
    out.push({ topic, payload: templated(cfg, 'brightness_command_template', { value: scaled }, String(scaled)) });
  }
  return out;
}

function alarmCommands(cfg: Cfg, entity: Entity, operation: string, params: Record<string, unknown>, cmd: (k?: string) => string): Command[] {
  const m = mqttPayloadOf('alarm_control_panel', operation);
  if (!m) throw unsupported(entity, operation);
  const kind = operation === 'alarm_disarm' ? 'disarm' : operation === 'alarm_trigger' ? 'trigger' : 'arm';
  const action = cfgText(cfg, m[0], m[1]);
  const configured = str(cfg.code);
  const code = params.code === undefined ? '' : String(params.code);
  const required =
    configured &&
    (kind === 'arm' ? cfg.code_arm_required !== false : kind === 'disarm' ? cfg.code_disarm_required !== false : cfg.code_trigger_required !== false);
  if (required) {
    if (!code) throw devicesErrors.error('CODE_REQUIRED', `${entity.id} needs a code for ${operation}`);
    // A fixed code in the config is checked here; REMOTE_CODE(_TEXT) means the panel checks it.
    if (configured !== 'REMOTE_CODE' && configured !== 'REMOTE_CODE_TEXT' && code !== configured)
      throw devicesErrors.error('WRONG_CODE', `the code for ${entity.id} is wrong`);
  }
  return [{ topic: cmd(), payload: templated(cfg, 'command_template', { action, code }, action) }];
}

function climateCommands(cfg: Cfg, entity: Entity, operation: string, params: Record<string, unknown>, cmd: (k?: string) => string): Command[] {
  const modes = Array.isArray(cfg.modes) ? (cfg.modes as string[]) : ['auto', 'off', 'cool', 'heat', 'dry', 'fan_only'];
  const mode = (value: string) => [{ topic: cmd('mode_command_topic'), payload: templated(cfg, 'mode_command_template', { value }, value) }];
  switch (operation) {
    case 'set_temperature': {
      const value = clampNumber(params.temperature, cfgNumber(cfg, 'min_temp', 7), cfgNumber(cfg, 'max_temp', 35), 'temperature');
      const out = [{ topic: cmd('temperature_command_topic'), payload: templated(cfg, 'temperature_command_template', { value }, String(value)) }];
      if (typeof params.hvac_mode === 'string') out.unshift(...mode(checkMode(entity, modes, params.hvac_mode)));
      return out;
    }
    case 'set_hvac_mode':
      return mode(checkMode(entity, modes, String(params.hvac_mode ?? '')));
    case 'turn_off':
      if (str(cfg.power_command_topic)) return [{ topic: cmd('power_command_topic'), payload: cfgText(cfg, 'payload_off', 'OFF') }];
      return mode('off');
    case 'turn_on': {
      if (str(cfg.power_command_topic)) return [{ topic: cmd('power_command_topic'), payload: cfgText(cfg, 'payload_on', 'ON') }];
      const next = ['heat', 'auto', 'cool'].find((m) => modes.includes(m));
      if (!next) throw unsupported(entity, operation);
      return mode(next);
    }
    default:
      throw unsupported(entity, operation);
  }
}

function checkMode(entity: Entity, modes: string[], m: string): string {
  if (!modes.includes(m)) throw devicesErrors.error('INVALID_PARAMS', `${m} is not one of ${entity.id}'s modes (${modes.join(', ')})`);
  return m;
}

function clampNumber(v: unknown, min: number, max: number, name: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw devicesErrors.error('INVALID_PARAMS', `${name} must be a number`);
  if (n < min || n > max) throw devicesErrors.error('INVALID_PARAMS', `${name} must be between ${min} and ${max}`);
  return n;
}
