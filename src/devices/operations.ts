import type { Domain, Entity } from './model.js';
import { own } from '../core/own.js';

/**
 * The operations each domain supports, named as Home Assistant's services are, and the state
 * that proves each one took effect. The gate validates requests against this table and
 * confirms outcomes by it.
 */
interface OperationSpec {
  /** The entity state that confirms the effect; a function when it depends on params. */
  expect?: string | ((params: Record<string, unknown>, entity: Entity) => string | undefined);
}

const onOff = {
  turn_on: { expect: 'on' },
  turn_off: { expect: 'off' },
  toggle: { expect: (_p: Record<string, unknown>, e: Entity) => (e.state === 'on' ? 'off' : 'on') },
};

export const DOMAIN_OPERATIONS: Partial<Record<Domain, Record<string, OperationSpec>>> = {
  light: onOff,
  switch: onOff,
  fan: { ...onOff, set_percentage: { expect: (p) => (Number(p.percentage) > 0 ? 'on' : 'off') } },
  siren: { turn_on: { expect: 'on' }, turn_off: { expect: 'off' } },
  lock: { lock: { expect: 'locked' }, unlock: { expect: 'unlocked' }, open: { expect: 'open' } },
  cover: {
    open_cover: { expect: 'open' },
    close_cover: { expect: 'closed' },
    stop_cover: {},
    set_cover_position: { expect: (p) => (Number(p.position) > 0 ? 'open' : 'closed') },
  },
  valve: { open_valve: { expect: 'open' }, close_valve: { expect: 'closed' } },
  alarm_control_panel: {
    alarm_disarm: { expect: 'disarmed' },
    alarm_arm_home: { expect: 'armed_home' },
    alarm_arm_away: { expect: 'armed_away' },
    alarm_arm_night: { expect: 'armed_night' },
    alarm_trigger: { expect: 'triggered' },
  },
  climate: {
    set_temperature: {},
    set_hvac_mode: { expect: (p) => (typeof p.hvac_mode === 'string' ? p.hvac_mode : undefined) },
    turn_on: {},
    turn_off: { expect: 'off' },
  },
  camera: { turn_on: {}, turn_off: { expect: 'off' }, disable_motion_detection: {}, enable_motion_detection: {} },
  button: { press: {} },
  number: { set_value: { expect: (p) => (p.value === undefined ? undefined : String(p.value)) } },
  select: { select_option: { expect: (p) => (typeof p.option === 'string' ? p.option : undefined) } },
  scene: { turn_on: {} },
};

export function operationsFor(domain: Domain): string[] {
  return Object.keys(own(DOMAIN_OPERATIONS, domain) ?? {});
}

export function supportsOperation(entity: Entity, operation: string): boolean {
  return Boolean(own(own(DOMAIN_OPERATIONS, entity.domain), operation));
}

/** The state that confirms `operation` on `entity`, or undefined when no state proves it. */
export function expectedState(entity: Entity, operation: string, params: Record<string, unknown>): string | undefined {
  const spec = own(own(DOMAIN_OPERATIONS, entity.domain), operation);
  if (!spec?.expect) return undefined;
  return typeof spec.expect === 'function' ? spec.expect(params, entity) : spec.expect;
}
