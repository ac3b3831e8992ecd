/**
 * The demo home's devices, as data: each has its discovery config (the same shape a
 * Zigbee2MQTT or Tasmota device publishes), how it reports its state, and how it answers a
 * command (a list of state patches: an intermediate one, then the result).
 */
export const DEMO_ROOT = 'hearth/demo';
export const DEMO_NODE = 'hearth_demo';

type State = Record<string, unknown>;
export interface DemoDevice {
  component: string;
  object: string;
  initial: State;
  config: Record<string, unknown>;
  publish(state: State): [string, string][];
  command?(state: State, payload: string, sub: string): State[] | undefined;
  /** A sensor a newcomer may set from its card (POST /demo/sensors/:id): the state key it flips. */
  settable?: string;
}

const device = { identifiers: ['hearth_demo_home'], name: 'Demo home', manufacturer: 'Hearth', model: 'Simulated house' };
/** The demo's device, with the room it suggests for an entity (discovery's suggested_area). */
const inRoom = (room: string) => ({ ...device, suggested_area: room });
const avty = { availability_topic: `${DEMO_ROOT}/status` };
const base = (object: string) => `${DEMO_ROOT}/${object}`;

function light(object: string, name: string, json: boolean, on: boolean, room: string): DemoDevice {
  const t = base(object);
  if (json) {
    return {
      component: 'light',
      object,
      initial: { on, brightness: 200 },
      config: {
        '~': t,
        name,
        uniq_id: `demo_${object}`,
        default_entity_id: `light.demo_${object}`,
        schema: 'json',
        brightness: true,
        cmd_t: '~/set',
        stat_t: '~/state',
        dev: inRoom(room),
        ...avty,
      },
      publish: (s) => [[`${t}/state`, JSON.stringify({ state: s.on ? 'ON' : 'OFF', brightness: s.brightness })]],
      command: (_s, payload) => {
        let cmd: { state?: string; brightness?: number };
        try {
          cmd = JSON.parse(payload) as typeof cmd;
        } catch {
          return undefined;
        }
        const patch: State = {};
        if (cmd.state) patch.on = cmd.state.toUpperCase() === 'ON';
        if (typeof cmd.brightness === 'number') patch.brightness = Math.max(0, Math.min(255, cmd.brightness));
        return [patch];
      },
    };
  }
  return {
    component: 'light',
    object,
    initial: { on, brightness: 255 },
    config: {
      '~': t,
      name,
      uniq_id: `demo_${object}`,
      default_entity_id: `light.demo_${object}`,
      cmd_t: '~/set',
      stat_t: '~/state',
      bri_cmd_t: '~/brightness/set',
      bri_stat_t: '~/brightness',
      pl_on: 'ON',
      pl_off: 'OFF',
      dev: inRoom(room),
      ...avty,
    },
    publish: (s) => [
      [`${t}/state`, s.on ? 'ON' : 'OFF'],
      [`${t}/brightness`, String(s.brightness)],
    ],
    command: (_s, payload, sub) => {
      if (sub === 'brightness') {
        const n = Number(payload);
        return Number.isFinite(n) ? [{ brightness: Math.max(0, Math.min(255, n)), on: n > 0 }] : undefined;
      }
      if (payload === 'ON' || payload === 'OFF') return [{ on: payload === 'ON' }];
      return undefined;
    },
  };
}

export const DEMO_DEVICES: DemoDevice[] = [
  {
    component: 'lock',
    object: 'front_door',
    initial: { state: 'LOCKED' },
    config: {
      '~': base('front_door'),
      name: 'Front door',
      uniq_id: 'demo_front_door',
      default_entity_id: 'lock.demo_front_door',
      cmd_t: '~/set',
      stat_t: '~/state',
      dev: inRoom('Hall'),
      ...avty,
    },
    publish: (s) => [[`${base('front_door')}/state`, String(s.state)]],
    command: (_s, payload) =>
      payload === 'LOCK'
        ? [{ state: 'LOCKING' }, { state: 'LOCKED' }]
        : payload === 'UNLOCK'
          ? [{ state: 'UNLOCKING' }, { state: 'UNLOCKED' }]
          : payload === 'OPEN'
            ? [{ state: 'OPENING' }, { state: 'OPEN' }]
            : undefined,
  },
  {
    component: 'cover',
    object: 'garage_door',
    initial: { state: 'closed', position: 0 },
    config: {
      '~': base('garage_door'),
      name: 'Garage door',
      uniq_id: 'demo_garage_door',
      default_entity_id: 'cover.demo_garage_door',
      dev_cla: 'garage',
      cmd_t: '~/set',
      stat_t: '~/state',
      pos_t: '~/position',
      set_pos_t: '~/position/set',
      dev: inRoom('Garage'),
      ...avty,
    },
    publish: (s) => [
      [`${base('garage_door')}/state`, String(s.state)],
      [`${base('garage_door')}/position`, String(s.position)],
    ],
    command: (_s, payload, sub) => {
      if (sub === 'position') {
        const n = Number(payload);
        if (!Number.isFinite(n)) return undefined;
        return [{ state: n > 0 ? 'opening' : 'closing' }, { state: n > 0 ? 'open' : 'closed', position: n }];
      }
      if (payload === 'OPEN') return [{ state: 'opening' }, { state: 'open', position: 100 }];
      if (payload === 'CLOSE') return [{ state: 'closing' }, { state: 'closed', position: 0 }];
      if (payload === 'STOP') return [{ state: 'stopped' }];
      return undefined;
    },
  },
  {
    component: 'alarm_control_panel',
    object: 'home_alarm',
    initial: { state: 'disarmed' },
    config: {
      '~': base('home_alarm'),
      name: 'Home alarm',
      uniq_id: 'demo_home_alarm',
      default_entity_id: 'alarm_control_panel.demo_home_alarm',
      cmd_t: '~/set',
      stat_t: '~/state',
      code: 'REMOTE_CODE',
      cod_arm_req: false,
      cod_dis_req: true,
      cmd_tpl: '{"action":"{{ action }}","code":"{{ code }}"}',
      dev: inRoom('Hall'),
      ...avty,
    },
    publish: (s) => [[`${base('home_alarm')}/state`, String(s.state)]],
    command: (_s, payload) => {
      let cmd: { action?: string };
      try {
        cmd = JSON.parse(payload) as typeof cmd;
      } catch {
        return undefined;
      }
      const to: Record<string, string> = { ARM_AWAY: 'armed_away', ARM_HOME: 'armed_home', ARM_NIGHT: 'armed_night', DISARM: 'disarmed', TRIGGER: 'triggered' };
      const next = cmd.action ? to[cmd.action] : undefined;
      if (!next) return undefined;
      return next.startsWith('armed') ? [{ state: 'arming' }, { state: next }] : [{ state: next }];
    },
  },
  {
    component: 'climate',
    object: 'thermostat',
    initial: { mode: 'heat', target: 21, current: 20.5 },
    config: {
      '~': base('thermostat'),
      name: 'Living room thermostat',
      uniq_id: 'demo_living_room_thermostat',
      default_entity_id: 'climate.demo_living_room',
      modes: ['off', 'heat', 'cool', 'auto'],
      mode_cmd_t: '~/mode/set',
      mode_stat_t: '~/mode',
      temp_cmd_t: '~/target/set',
      temp_stat_t: '~/target',
      curr_temp_t: '~/current',
      min_temp: 10,
      max_temp: 30,
      temp_unit: 'C',
      dev: inRoom('Living room'),
      ...avty,
    },
    publish: (s) => [
      [`${base('thermostat')}/mode`, String(s.mode)],
      [`${base('thermostat')}/target`, String(s.target)],
      [`${base('thermostat')}/current`, String(s.current)],
    ],
    command: (_s, payload, sub) => {
      if (sub === 'mode') return ['off', 'heat', 'cool', 'auto'].includes(payload) ? [{ mode: payload }] : undefined;
      if (sub === 'target') {
        const n = Number(payload);
        return Number.isFinite(n) ? [{ target: n }] : undefined;
      }
      return undefined;
    },
  },
  light('kitchen', 'Kitchen light', true, false, 'Kitchen'),
  light('living_room', 'Living room light', true, true, 'Living room'),
  light('porch', 'Porch light', false, false, 'Garden'),
  light('bedroom', 'Bedroom light', false, false, 'Bedroom'),
  {
    component: 'binary_sensor',
    object: 'hallway_motion',
    initial: { motion: false },
    config: {
      name: 'Hallway motion',
      uniq_id: 'demo_hallway_motion',
      default_entity_id: 'binary_sensor.demo_hallway_motion',
      dev_cla: 'motion',
      stat_t: `${base('hallway_motion')}/state`,
      val_tpl: '{{ value_json.occupancy }}',
      pl_on: true,
      pl_off: false,
      dev: inRoom('Hall'),
      ...avty,
    },
    publish: (s) => [[`${base('hallway_motion')}/state`, JSON.stringify({ occupancy: s.motion, battery: 87 })]],
    settable: 'motion',
  },
  {
    component: 'binary_sensor',
    object: 'back_door',
    initial: { open: false },
    config: {
      name: 'Back door',
      uniq_id: 'demo_back_door',
      default_entity_id: 'binary_sensor.demo_back_door',
      dev_cla: 'door',
      stat_t: `${base('back_door')}/state`,
      val_tpl: "{{ value_json['contact'] }}",
      pl_on: false,
      pl_off: true,
      dev: inRoom('Kitchen'),
      ...avty,
    },
    // Zigbee contact sensors report contact=true when the door is closed.
    publish: (s) => [[`${base('back_door')}/state`, JSON.stringify({ contact: !s.open })]],
    settable: 'open',
  },
  {
    component: 'binary_sensor',
    object: 'kitchen_leak',
    initial: { wet: false },
    config: {
      name: 'Kitchen leak sensor',
      uniq_id: 'demo_kitchen_leak',
      default_entity_id: 'binary_sensor.demo_kitchen_leak',
      dev_cla: 'moisture',
      stat_t: `${base('kitchen_leak')}/state`,
      val_tpl: '{{ value_json.water_leak }}',
      pl_on: true,
      pl_off: false,
      dev: inRoom('Kitchen'),
      ...avty,
    },
    publish: (s) => [[`${base('kitchen_leak')}/state`, JSON.stringify({ water_leak: s.wet, battery: 92 })]],
    settable: 'wet',
  },
  {
    component: 'sensor',
    object: 'outdoor_temperature',
    initial: { temperature: 8.5 },
    config: {
      name: 'Outdoor temperature',
      uniq_id: 'demo_outdoor_temperature',
      default_entity_id: 'sensor.demo_outdoor_temperature',
      dev_cla: 'temperature',
      unit_of_meas: '°C',
      stat_cla: 'measurement',
      stat_t: `${base('outdoor_temperature')}/state`,
      val_tpl: '{{ value_json.temperature }}',
      dev: inRoom('Garden'),
      ...avty,
    },
    publish: (s) => [[`${base('outdoor_temperature')}/state`, JSON.stringify({ temperature: s.temperature })]],
  },
];
