import { describe, expect, it } from 'vitest';
import { policySection } from '../../src/config/sections/policy.js';
import { settingsSchema } from '../../src/config/schema.js';
import { evaluatePolicy, inWindow, matches, riskOf, type PolicyInput } from '../../src/gate/policy.js';
import type { Entity } from '../../src/devices/model.js';

const entity = (id: string, attributes: Record<string, unknown> = {}): Entity => ({
  id,
  name: id,
  domain: id.split('.')[0] as Entity['domain'],
  state: 'unknown',
  attributes,
  source: 'test',
  available: true,
  device: null,
  area: null,
  aliases: [],
  last_changed: '',
  last_updated: '',
  warning: null,
});

const NOON_UTC = Date.UTC(2026, 5, 1, 12, 0);
function ask(entity_id: string, operation: string, over: Partial<PolicyInput> = {}, settings: unknown = {}) {
  return evaluatePolicy({
    action: { entity_id, operation, params: {} },
    entity: entity(entity_id, entity_id.startsWith('cover.garage') ? { device_class: 'garage' } : {}),
    role: 'adult',
    channel: 'web',
    at: NOON_UTC,
    timezone: 'UTC',
    policy: policySection.parse(settings),
    ...over,
  });
}

describe('policy', () => {
  it('has family defaults for risk by domain and operation', () => {
    const p = policySection.parse({});
    const risk = (id: string, op: string, attributes: Record<string, unknown> = {}) =>
      riskOf({ action: { entity_id: id, operation: op, params: {} }, entity: entity(id, attributes), policy: p });
    expect(risk('light.kitchen', 'turn_on')).toBe('low');
    expect(risk('lock.front_door', 'unlock')).toBe('high');
    expect(risk('lock.front_door', 'open')).toBe('high');
    expect(risk('lock.front_door', 'lock')).toBe('low');
    expect(risk('cover.garage_door', 'open_cover', { device_class: 'garage' })).toBe('high');
    expect(risk('cover.side_garage', 'open_cover')).toBe('high'); // by its name
    expect(risk('cover.blinds', 'open_cover')).toBe('low');
    expect(risk('alarm_control_panel.home', 'alarm_disarm')).toBe('high');
    expect(risk('alarm_control_panel.home', 'alarm_arm_away')).toBe('low');
    expect(risk('camera.porch', 'turn_off')).toBe('high');
  });

  it('lets the owner override per entity and per domain, one field at a time', () => {
    const p = policySection.parse({
      overrides: { 'lock.front_door': { unlock: 'critical' } },
      risks: { light: { turn_off: 'medium' } },
      roles: { guest: { allow: ['light.kitchen'] } },
    });
    const risk = (id: string, op: string) => riskOf({ action: { entity_id: id, operation: op, params: {} }, entity: entity(id), policy: p });
    expect(risk('lock.front_door', 'unlock')).toBe('critical');
    expect(risk('lock.back_door', 'unlock')).toBe('high');
    expect(risk('light.kitchen', 'turn_off')).toBe('medium');
    expect(risk('light.kitchen', 'turn_on')).toBe('low'); // built-in table still applies
    expect(p.roles.guest).toEqual({ allow: ['light.kitchen'], deny: ['hub.*'], max_risk: 'medium', direct_max_risk: 'low' });
    expect(p.roles.owner.allow).toEqual(['*']);
  });

  it('decides direct, approval or refusal by role, risk and origin', () => {
    expect(ask('light.kitchen', 'turn_on', { role: 'child' })).toEqual({ kind: 'direct', risk: 'low' });
    expect(ask('lock.front_door', 'unlock', { role: 'child' })).toMatchObject({ kind: 'refused', code: 'ROLE_NOT_ALLOWED' });
    expect(ask('light.kitchen', 'turn_on', { role: 'guest' })).toMatchObject({ kind: 'refused', code: 'ROLE_NOT_ALLOWED' });
    expect(ask('light.kitchen', 'turn_on', { role: 'guest' }, { roles: { guest: { allow: ['light.kitchen:turn_on'] } } })).toEqual({
      kind: 'direct',
      risk: 'low',
    });
    expect(ask('light.kitchen', 'turn_on', { role: 'support' })).toMatchObject({ kind: 'refused', code: 'ROLE_NOT_ALLOWED' });
    expect(ask('lock.front_door', 'unlock')).toMatchObject({
      kind: 'approval',
      risk: 'high',
      policy: { quorum: 1, approver_roles: ['owner'], exclude_requester: true, step_up: true },
      expiry_s: 300,
    });
    expect(ask('lock.front_door', 'unlock', { role: 'elder' })).toMatchObject({ kind: 'approval' });
    const critical = { overrides: { 'lock.front_door': { unlock: 'critical' } } };
    expect(ask('lock.front_door', 'unlock', { role: 'elder' }, critical)).toMatchObject({ kind: 'refused', code: 'ROLE_NOT_ALLOWED' });
    expect(ask('lock.front_door', 'unlock', { channel: 'llm' }, critical)).toMatchObject({ kind: 'refused', code: 'ORIGIN_FORBIDDEN' });
    expect(ask('lock.front_door', 'unlock', { channel: 'relay' }, critical)).toMatchObject({ kind: 'refused', code: 'ORIGIN_FORBIDDEN' });
    expect(ask('lock.front_door', 'unlock', { channel: 'telegram' }, critical)).toMatchObject({ kind: 'approval', risk: 'critical' });
    // Support touches only the hub, and always with approval.
    expect(
      evaluatePolicy({
        action: { entity_id: 'hub.service', operation: 'restart', params: {} },
        entity: null,
        systemRisk: 'low',
        role: 'support',
        channel: 'relay',
        at: NOON_UTC,
        timezone: 'UTC',
        policy: policySection.parse({}),
      }),
    ).toMatchObject({ kind: 'approval', risk: 'low' });
  });

  it("applies time windows in the home's time zone, across midnight", () => {
    expect(inWindow(Date.UTC(2026, 0, 1, 23, 30), 'UTC', '23:00', '06:00')).toBe(true);
    expect(inWindow(Date.UTC(2026, 0, 1, 5, 59), 'UTC', '23:00', '06:00')).toBe(true);
    expect(inWindow(Date.UTC(2026, 0, 1, 6, 0), 'UTC', '23:00', '06:00')).toBe(false);
    expect(inWindow(Date.UTC(2026, 0, 1, 12, 0), 'UTC', '09:00', '17:00')).toBe(true);
    // 23:30 in Berlin (winter, UTC+1) is 22:30 UTC.
    expect(inWindow(Date.UTC(2026, 0, 1, 22, 30), 'Europe/Berlin', '23:00', '06:00')).toBe(true);
    expect(inWindow(Date.UTC(2026, 0, 1, 22, 30), 'UTC', '23:00', '06:00')).toBe(false);
    const night = ask('alarm_control_panel.home', 'alarm_disarm', { at: Date.UTC(2026, 0, 1, 23, 30) });
    expect(night).toMatchObject({ kind: 'approval', policy: { quorum: 2, approver_roles: ['adult', 'owner'] } });
    expect(ask('alarm_control_panel.home', 'alarm_disarm')).toMatchObject({ kind: 'approval', policy: { quorum: 1, approver_roles: ['owner'] } });
  });

  it('matches patterns on entity and operation', () => {
    expect(matches('*', 'lock.front_door:unlock')).toBe(true);
    expect(matches('light.*', 'light.kitchen:turn_on')).toBe(true);
    expect(matches('light.*', 'lightning.x:turn_on')).toBe(false);
    expect(matches('*:unlock', 'lock.front_door:unlock')).toBe(true);
    expect(matches('*:unlock', 'lock.front_door:lock')).toBe(false);
    expect(matches('lock.front_door:unlock', 'lock.front_door:unlock')).toBe(true);
    expect(matches('lock.front_door', 'lock.front_door_2:unlock')).toBe(false);
  });

  it('rejects a malformed policy with the key named', () => {
    expect(settingsSchema.safeParse({ policy: { windows: [{ match: 'alarm_control_panel.*', from: '25:00', to: '06:00' }] } }).success).toBe(false);
    expect(settingsSchema.safeParse({ policy: { approvals: { high: { quorum: 0 } } } }).success).toBe(false);
    expect(settingsSchema.safeParse({ policy: { roles: { child: { allow: ['Lights please'] } } } }).success).toBe(false);
    expect(settingsSchema.safeParse({ policy: { overrides: { 'lock.front_door': { unlock: 'extreme' } } } }).success).toBe(false);
  });
});
