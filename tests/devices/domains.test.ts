import { describe, expect, test } from 'vitest';
import { DEFAULT_RISKS } from '../../src/config/sections/policy.js';
import { DOMAINS, domainsForUi, MQTT_COMPONENTS, operationsFor } from '../../src/devices/domains/index.js';
import { domainSchema } from '../../src/devices/model.js';
import { SUPPORTED_COMPONENTS } from '../../src/devices/mqtt/discovery/config.js';
import { ACTION_OPERATIONS, DOMAIN_WORDS } from '../../src/intents/lexicon.js';

// The domain descriptions replaced tables kept in eleven files; these are those tables as they
// were, so that moving them changed nothing the gate, the parser or MQTT discovery see.
describe('domain descriptions', () => {
  test('the gate’s built-in risks are the table it always had', () => {
    expect(DEFAULT_RISKS).toEqual({
      light: { '*': 'low' },
      switch: { '*': 'low' },
      fan: { '*': 'low' },
      scene: { '*': 'low' },
      button: { '*': 'low' },
      number: { '*': 'low' },
      select: { '*': 'low' },
      climate: { '*': 'low' },
      siren: { turn_on: 'medium', '*': 'low' },
      valve: { '*': 'medium' },
      lock: { unlock: 'high', open: 'high', lock: 'low', '*': 'medium' },
      cover: { open_cover: 'low', close_cover: 'low', stop_cover: 'low', '*': 'low' },
      'cover:garage': { open_cover: 'high', set_cover_position: 'high', close_cover: 'low', stop_cover: 'low' },
      alarm_control_panel: { alarm_disarm: 'high', alarm_arm_home: 'low', alarm_arm_away: 'low', alarm_arm_night: 'low', alarm_trigger: 'low', '*': 'medium' },
      camera: { turn_off: 'high', disable_motion_detection: 'high', '*': 'low' },
      other: { '*': 'medium' },
      hub: { '*': 'high' },
    });
  });

  test('the rule parser’s verbs and nouns are the ones it always had', () => {
    expect(ACTION_OPERATIONS).toEqual({
      on: { light: 'turn_on', switch: 'turn_on', fan: 'turn_on', siren: 'turn_on', climate: 'turn_on', scene: 'turn_on', camera: 'turn_on' },
      off: { light: 'turn_off', switch: 'turn_off', fan: 'turn_off', siren: 'turn_off', climate: 'turn_off', camera: 'turn_off' },
      toggle: { light: 'toggle', switch: 'toggle', fan: 'toggle' },
      open: { cover: 'open_cover', valve: 'open_valve', lock: 'unlock' },
      close: { cover: 'close_cover', valve: 'close_valve', lock: 'lock' },
      lock: { lock: 'lock' },
      unlock: { lock: 'unlock' },
      arm_away: { alarm_control_panel: 'alarm_arm_away' },
      arm_home: { alarm_control_panel: 'alarm_arm_home' },
      arm_night: { alarm_control_panel: 'alarm_arm_night' },
      disarm: { alarm_control_panel: 'alarm_disarm' },
      set: { climate: 'set_temperature', light: 'turn_on', fan: 'set_percentage', cover: 'set_cover_position', number: 'set_value' },
      dim: { light: 'turn_on' },
      stop: { cover: 'stop_cover' },
    });
    expect(DOMAIN_WORDS).toEqual({
      light: ['light', 'lamp', 'lighting', 'bulb'],
      switch: ['switch', 'plug', 'socket', 'outlet'],
      lock: ['lock', 'door', 'deadbolt'],
      cover: ['cover', 'blind', 'shade', 'curtain', 'shutter'],
      alarm_control_panel: ['alarm', 'security', 'system'],
      climate: ['thermostat', 'heating', 'heater', 'climate', 'ac', 'aircon', 'hvac'],
      fan: ['fan'],
      camera: ['camera'],
      siren: ['siren'],
      valve: ['valve', 'tap'],
    });
  });

  test('every domain the registry models has a description, and MQTT discovery models the same components as before', () => {
    expect(DOMAINS.map((d) => d.name)).toEqual(domainSchema.options);
    expect([...SUPPORTED_COMPONENTS].sort()).toEqual(
      [
        'light',
        'switch',
        'lock',
        'cover',
        'alarm_control_panel',
        'climate',
        'fan',
        'sensor',
        'binary_sensor',
        'button',
        'siren',
        'valve',
        'number',
        'select',
        'scene',
      ].sort(),
    );
    expect(MQTT_COMPONENTS).toEqual(SUPPORTED_COMPONENTS);
    expect(operationsFor('lock')).toEqual(['lock', 'unlock', 'open']);
  });

  test('the UI gets a control kind per domain and each operation’s params as JSON Schema', () => {
    const ui = domainsForUi();
    expect(ui.lock).toMatchObject({ control: 'lock', group: 'Doors and security' });
    expect(ui.light?.control).toBe('dimmer');
    expect(ui.sensor?.operations).toEqual({});
    expect(ui.cover?.operations.set_cover_position?.params).toMatchObject({ type: 'object', properties: { position: { minimum: 0, maximum: 100 } } });
    expect(JSON.parse(JSON.stringify(ui))).toEqual(ui);
  });
});
