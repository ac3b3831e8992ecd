import { describe, expect, it } from 'vitest';
import type { Entity } from '../../src/devices/model.js';
import { describeSelector, resolveSelector, selectorSchema } from '../../src/workflows/select.js';

const entity = (id: string, extra: Partial<Entity> = {}): Entity => ({
  id,
  name: id,
  domain: id.split('.')[0] as Entity['domain'],
  state: 'off',
  attributes: {},
  source: 'mqtt',
  available: true,
  device: null,
  area: null,
  aliases: [],
  last_changed: '',
  last_updated: '',
  warning: null,
  ...extra,
});

const home = [
  entity('lock.front'),
  entity('lock.shed', { hidden: true }),
  entity('lock.demo_front_door'),
  entity('binary_sensor.back', { attributes: { device_class: 'door' } }),
  entity('binary_sensor.hall', { attributes: { device_class: 'motion' } }),
  entity('binary_sensor.garage_side', { attributes: { device_class: 'Garage_Door' } }),
  entity('light.kitchen', { area: 'Kitchen' }),
  entity('light.hall', { area: 'Hall' }),
  entity('light.attic'),
];
const sel = (v: unknown) => selectorSchema.parse(v);

describe('selecting entities by kind', () => {
  it('leaves out hidden entities, and the demo home when the demo is off', () => {
    expect(resolveSelector(sel({ domain: 'lock' }), home, false)).toEqual(['lock.front']);
    expect(resolveSelector(sel({ domain: 'lock' }), home, true)).toEqual(['lock.demo_front_door', 'lock.front']);
  });

  it('narrows by device class and area, one or a list, without regard to case', () => {
    expect(resolveSelector(sel({ domain: 'binary_sensor', device_class: 'door' }), home, true)).toEqual(['binary_sensor.back']);
    expect(resolveSelector(sel({ domain: 'binary_sensor', device_class: ['door', 'garage_door'] }), home, true)).toEqual([
      'binary_sensor.back',
      'binary_sensor.garage_side',
    ]);
    expect(resolveSelector(sel({ domain: 'light', area: ['kitchen', 'Hall'] }), home, true)).toEqual(['light.hall', 'light.kitchen']);
    expect(resolveSelector(sel({ domain: 'cover' }), home, true)).toEqual([]);
    expect(describeSelector(sel({ domain: 'binary_sensor', device_class: 'door', area: 'Hall' }))).toBe('every binary_sensor (door) in Hall');
  });
});
