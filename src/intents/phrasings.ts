import type { Entity } from '../devices/model.js';

/**
 * The phrasing corpus: sentences people send, with the intent each must give, against the
 * demo home below. The tests check every line; the bench measures latency and accuracy on
 * the same lines (it imports this file from dist/). Data, not code.
 */
export interface Phrasing {
  text: string;
  /** The expected kind, and for commands/questions the fields that must match. */
  expect:
    | { kind: 'command'; entity_ids: string[]; operation: string; params?: Record<string, number> }
    | { kind: 'question'; entity_ids: string[]; about?: 'state' | 'temperature'; expect?: string }
    | { kind: 'clarify'; candidates?: string[] }
    | { kind: 'unknown' };
}

const at = '2026-01-01T00:00:00.000Z';
const e = (id: string, name: string, state: string, extra: Partial<Entity> = {}): Entity => ({
  id,
  name,
  domain: id.split('.')[0] as Entity['domain'],
  state,
  attributes: {},
  source: 'demo',
  available: true,
  device: null,
  area: null,
  aliases: [],
  last_changed: at,
  last_updated: at,
  warning: null,
  ...extra,
});

/** The demo home as the devices part describes it, with a few owner-made aliases. */
export const DEMO_ENTITIES: Entity[] = [
  e('lock.front_door', 'Front door', 'locked', { area: 'Hall' }),
  e('cover.garage_door', 'Garage door', 'closed', { area: 'Garage', attributes: { device_class: 'garage' }, aliases: ['garage'] }),
  e('alarm_control_panel.home_alarm', 'Home alarm', 'disarmed', { aliases: ['burglar alarm'] }),
  e('climate.living_room', 'Living room thermostat', 'heat', {
    area: 'Living room',
    attributes: { temperature: 20, current_temperature: 19.5 },
    aliases: ['heating'],
  }),
  e('light.kitchen', 'Kitchen light', 'off', { area: 'Kitchen', aliases: ['kitchen lights'] }),
  e('light.living_room', 'Living room light', 'on', { area: 'Living room', attributes: { brightness: 128 }, aliases: ['big lamp'] }),
  e('light.porch', 'Porch light', 'off', { area: 'Porch', aliases: ['outside light', 'front light'] }),
  e('light.bedroom', 'Bedroom light', 'off', { area: 'Bedroom', aliases: ['bedside lamp'] }),
  e('binary_sensor.hallway_motion', 'Hallway motion', 'off', { area: 'Hall', attributes: { device_class: 'motion' } }),
  e('binary_sensor.back_door', 'Back door', 'off', { area: 'Kitchen', attributes: { device_class: 'door' } }),
];

const LIGHTS = ['light.bedroom', 'light.kitchen', 'light.living_room', 'light.porch'];
const cmd = (text: string, entity_ids: string[], operation: string, params?: Record<string, number>): Phrasing => ({
  text,
  expect: { kind: 'command', entity_ids, operation, ...(params ? { params } : {}) },
});
const ask = (text: string, entity_ids: string[], about: 'state' | 'temperature' = 'state', expect?: string): Phrasing => ({
  text,
  expect: { kind: 'question', entity_ids, about, ...(expect ? { expect } : {}) },
});
const clar = (text: string, candidates?: string[]): Phrasing => ({ text, expect: { kind: 'clarify', ...(candidates ? { candidates } : {}) } });
const unk = (text: string): Phrasing => ({ text, expect: { kind: 'unknown' } });

export const PHRASINGS: Phrasing[] = [
  // ---- commands: lights
  cmd('turn off the kitchen lights', ['light.kitchen'], 'turn_off'),
  cmd('Turn off the kitchen light.', ['light.kitchen'], 'turn_off'),
  cmd('turn the kitchen light off', ['light.kitchen'], 'turn_off'),
  cmd('switch off the kitchen lamp', ['light.kitchen'], 'turn_off'),
  cmd('kitchen lights off', ['light.kitchen'], 'turn_off'),
  cmd('Please turn on the porch light', ['light.porch'], 'turn_on'),
  cmd('could you switch on the porch light please?', ['light.porch'], 'turn_on'),
  cmd('turn on the outside light', ['light.porch'], 'turn_on'),
  cmd('put the front light on', ['light.porch'], 'turn_on'),
  cmd('TURN ON THE BEDROOM LIGHT!!!', ['light.bedroom'], 'turn_on'),
  cmd('turn on the bedside lamp', ['light.bedroom'], 'turn_on'),
  cmd('lights off in the bedroom', ['light.bedroom'], 'turn_off'),
  cmd('switch the living room light on', ['light.living_room'], 'turn_on'),
  cmd('turn off the big lamp', ['light.living_room'], 'turn_off'),
  cmd('turn off all the lights', LIGHTS, 'turn_off'),
  cmd('turn off the lights', LIGHTS, 'turn_off'),
  cmd('switch on every light', LIGHTS, 'turn_on'),
  cmd('kill the lights', LIGHTS, 'turn_off'),
  cmd('lamps on please', LIGHTS, 'turn_on'),
  cmd('toggle the kitchen light', ['light.kitchen'], 'toggle'),
  cmd('dim the living room light to 30%', ['light.living_room'], 'turn_on', { brightness_pct: 30 }),
  cmd('set the bedroom light to 50 percent', ['light.bedroom'], 'turn_on', { brightness_pct: 50 }),
  cmd('hey hearth, turn on the kitchen light', ['light.kitchen'], 'turn_on'),
  cmd('i would like you to turn off the porch light', ['light.porch'], 'turn_off'),
  cmd('turn the lights in the kitchen off', ['light.kitchen'], 'turn_off'),
  cmd('please switch off the lights in the living room, thanks', ['light.living_room'], 'turn_off'),
  cmd('shut off the bedroom light', ['light.bedroom'], 'turn_off'),
  cmd('turn off the porch lights now', ['light.porch'], 'turn_off'),
  // ---- commands: locks
  cmd('unlock the front door', ['lock.front_door'], 'unlock'),
  cmd('Unlock the front door please', ['lock.front_door'], 'unlock'),
  cmd('can you unlock the front door?', ['lock.front_door'], 'unlock'),
  cmd('lock the front door', ['lock.front_door'], 'lock'),
  cmd('lock the door', ['lock.front_door'], 'lock'),
  cmd('lock everything', ['lock.front_door'], 'lock'),
  cmd('lock all the doors', ['lock.front_door'], 'lock'),
  cmd('secure the front door', ['lock.front_door'], 'lock'),
  cmd('lock up the house', ['lock.front_door'], 'lock'),
  cmd('lock up', ['lock.front_door'], 'lock'),
  cmd('Lock the front door!', ['lock.front_door'], 'lock'),
  // ---- commands: garage
  cmd('close the garage', ['cover.garage_door'], 'close_cover'),
  cmd('shut the garage door', ['cover.garage_door'], 'close_cover'),
  cmd('close the garage door please', ['cover.garage_door'], 'close_cover'),
  cmd('open the garage', ['cover.garage_door'], 'open_cover'),
  cmd('Open the garage door.', ['cover.garage_door'], 'open_cover'),
  cmd('raise the garage door', ['cover.garage_door'], 'open_cover'),
  cmd('lower the garage door', ['cover.garage_door'], 'close_cover'),
  cmd('stop the garage door', ['cover.garage_door'], 'stop_cover'),
  // ---- commands: alarm
  cmd('arm the alarm', ['alarm_control_panel.home_alarm'], 'alarm_arm_away'),
  cmd('Arm the alarm.', ['alarm_control_panel.home_alarm'], 'alarm_arm_away'),
  cmd('arm the alarm in home mode', ['alarm_control_panel.home_alarm'], 'alarm_arm_home'),
  cmd('arm the alarm for night', ['alarm_control_panel.home_alarm'], 'alarm_arm_night'),
  cmd('arm the security system', ['alarm_control_panel.home_alarm'], 'alarm_arm_away'),
  cmd('disarm the alarm', ['alarm_control_panel.home_alarm'], 'alarm_disarm'),
  cmd('please disarm the burglar alarm', ['alarm_control_panel.home_alarm'], 'alarm_disarm'),
  cmd('arm the home alarm', ['alarm_control_panel.home_alarm'], 'alarm_arm_away'),
  // ---- commands: climate
  cmd('set the living room to 21 degrees', ['climate.living_room'], 'set_temperature', { temperature: 21 }),
  cmd('set the thermostat to 19', ['climate.living_room'], 'set_temperature', { temperature: 19 }),
  cmd('set the heating to 22.5°C', ['climate.living_room'], 'set_temperature', { temperature: 22.5 }),
  cmd('make the living room 20 degrees', ['climate.living_room'], 'set_temperature', { temperature: 20 }),
  cmd('turn the heating to 18', ['climate.living_room'], 'set_temperature', { temperature: 18 }),
  cmd('turn off the heating', ['climate.living_room'], 'turn_off'),
  cmd('turn on the thermostat', ['climate.living_room'], 'turn_on'),
  cmd('change the temperature in the living room to 23', ['climate.living_room'], 'set_temperature', { temperature: 23 }),
  // ---- questions
  ask('is the garage open?', ['cover.garage_door'], 'state', 'open'),
  ask('Is the garage door open', ['cover.garage_door'], 'state', 'open'),
  ask('garage open?', ['cover.garage_door'], 'state', 'open'),
  ask('is the garage closed?', ['cover.garage_door'], 'state', 'closed'),
  ask('is the front door locked?', ['lock.front_door'], 'state', 'locked'),
  ask('did I lock the front door?', ['lock.front_door'], 'state', 'locked'),
  ask('are all the doors locked?', ['lock.front_door'], 'state', 'locked'),
  ask('is the front door unlocked', ['lock.front_door'], 'state', 'unlocked'),
  ask('is the back door open?', ['binary_sensor.back_door'], 'state', 'open'),
  ask('is the back door closed', ['binary_sensor.back_door'], 'state', 'closed'),
  ask("what's the temperature in the living room", ['climate.living_room'], 'temperature'),
  ask('What is the temperature in the living room?', ['climate.living_room'], 'temperature'),
  ask('how warm is it in the living room', ['climate.living_room'], 'temperature'),
  ask("what's the temperature?", ['climate.living_room'], 'temperature'),
  ask('is the kitchen light on?', ['light.kitchen'], 'state', 'on'),
  ask('is the porch light off', ['light.porch'], 'state', 'off'),
  ask('are the lights on?', LIGHTS, 'state', 'on'),
  ask('which lights are on?', LIGHTS, 'state', 'on'),
  ask('are any lights on', LIGHTS, 'state', 'on'),
  ask('is the alarm armed?', ['alarm_control_panel.home_alarm'], 'state', 'armed'),
  ask('is the alarm on', ['alarm_control_panel.home_alarm'], 'state'),
  ask('is there motion in the hallway?', ['binary_sensor.hallway_motion'], 'state', 'motion'),
  ask('is anyone in the hallway', ['binary_sensor.hallway_motion'], 'state', 'motion'),
  ask('tell me if the garage is open', ['cover.garage_door'], 'state', 'open'),
  ask('can you check whether the back door is open?', ['binary_sensor.back_door'], 'state', 'open'),
  ask("what's the status of the garage door", ['cover.garage_door'], 'state'),
  ask('how is the front door', ['lock.front_door'], 'state'),
  ask('what is the state of the alarm?', ['alarm_control_panel.home_alarm'], 'state'),
  ask('Is the heating on?', ['climate.living_room'], 'state', 'on'),
  ask('is the thermostat on', ['climate.living_room'], 'state', 'on'),
  ask('check the front door', ['lock.front_door'], 'state'),
  ask('is the front door secure?', ['lock.front_door'], 'state', 'locked'),
  ask('is the bedroom light on', ['light.bedroom'], 'state', 'on'),
  ask("isn't the garage door shut?", ['cover.garage_door'], 'state', 'closed'),
  // ---- unclear: clarify, never guess
  clar('turn on the light', LIGHTS),
  clar('turn off the lamp', LIGHTS),
  clar('switch the light off please', LIGHTS),
  clar('open the door', ['cover.garage_door', 'lock.front_door']),
  clar('is the light on?', LIGHTS),
  clar('turn on the living room', ['climate.living_room', 'light.living_room']),
  clar('dim the light to 40%', LIGHTS),
  clar('what is the door doing', ['binary_sensor.back_door', 'cover.garage_door', 'lock.front_door']),
  // ---- unknown: not a home command the rules can read
  unk('what is the weather tomorrow'),
  unk('tell me a joke'),
  unk('order a pizza'),
  unk('turn on the garden sprinklers'),
  unk('unlock the shed'),
  unk('asdfgh qwerty'),
  unk('hello'),
  unk('thanks!'),
  unk('set the kitchen'),
  unk('lock the garage'),
  unk('arm the kitchen light'),
  unk('turn it off'),
  unk('play some music'),
  unk(''),
  unk('🙂'),
  unk('is the pool heater on?'),
];

/**
 * Held out: written after the parser was tuned on PHRASINGS and never used to tune it. The
 * bench reports accuracy on these separately, as the honest figure for new phrasings; the
 * tests do not check them (a miss here is a finding, not a failure).
 */
export const HELDOUT: Phrasing[] = [
  cmd('could you kindly switch the porch lamp off', ['light.porch'], 'turn_off'),
  cmd('bedroom lights on', ['light.bedroom'], 'turn_on'),
  cmd('turn every lamp off', LIGHTS, 'turn_off'),
  cmd('please lock the front door, thank you', ['lock.front_door'], 'lock'),
  cmd('shut the garage please', ['cover.garage_door'], 'close_cover'),
  cmd('open up the garage door', ['cover.garage_door'], 'open_cover'),
  cmd('set the heating to 20 degrees', ['climate.living_room'], 'set_temperature', { temperature: 20 }),
  cmd('heat the living room to 22', ['climate.living_room'], 'set_temperature', { temperature: 22 }),
  cmd('arm the alarm at night', ['alarm_control_panel.home_alarm'], 'alarm_arm_night'),
  cmd('disarm the security system please', ['alarm_control_panel.home_alarm'], 'alarm_disarm'),
  cmd('switch off the outside light', ['light.porch'], 'turn_off'),
  cmd('dim the bedroom light to 10 percent', ['light.bedroom'], 'turn_on', { brightness_pct: 10 }),
  cmd('turn on the kitchen lights please', ['light.kitchen'], 'turn_on'),
  cmd('Lock up.', ['lock.front_door'], 'lock'),
  ask('is the porch light still on?', ['light.porch'], 'state', 'on'),
  ask('did someone leave the garage open?', ['cover.garage_door'], 'state', 'open'),
  ask('is the front door locked right now', ['lock.front_door'], 'state', 'locked'),
  ask('how hot is it in the living room?', ['climate.living_room'], 'temperature'),
  ask('are the doors locked', ['lock.front_door'], 'state', 'locked'),
  ask('any movement in the hall?', ['binary_sensor.hallway_motion'], 'state', 'motion'),
  ask('is the back door shut?', ['binary_sensor.back_door'], 'state', 'closed'),
  ask('which lights are off', LIGHTS, 'state', 'off'),
  ask("what's the garage door doing", ['cover.garage_door'], 'state'),
  ask('is the alarm disarmed?', ['alarm_control_panel.home_alarm'], 'state', 'disarmed'),
  clar('switch on the lamp please', LIGHTS),
  clar('is the lamp on', LIGHTS),
  clar('open it up'),
  unk('what time is it'),
  unk('call mum'),
  unk('turn on the tv'),
  unk('close the windows'),
  unk('remind me to buy milk'),
];
