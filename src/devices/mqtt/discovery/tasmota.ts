import { z } from 'zod';
import type { Logger } from '../../../core/logger.js';
import { slug } from '../../model.js';
import type { BrokerMessage } from '../broker.js';
import type { Binding } from './components.js';
import type { Availability, Cfg, EntitySpec, MqttDiscovery } from './discovery.js';
import { compileTemplate } from './template.js';
import { entityTopicProblem } from '../topic-rules.js';

/**
 * Tasmota's native discovery, its default since 9.x (HA-format discovery needs `SetOption19 1`,
 * deprecated). Retained on `tasmota/discovery/<MAC>/config` and `…/sensors`, read by Home
 * Assistant's Tasmota integration. Tasmota does not document the format formally; what is read
 * here follows the payloads Tasmota publishes and what HA's library (hatasmota) reads from them:
 *
 * - `tp` = [cmnd, stat, tele] prefixes; `ft` the full topic with `%prefix%`, `%topic%` (`t`),
 *   `%hostname%` (`hn`), `%id%` (last 6 of `mac`); Tasmota keeps it ending in `/`.
 * - `rl[i]`: 0 none, 1 relay, 2 light, 3 shutter; `so["30"]` = 1 announces relays as lights.
 * - `state` = [OFF, ON, TOGGLE, HOLD] words; `onln`/`ofln` the LWT payloads on `<tele>LWT`.
 * - relay i (n = i + 1) is commanded on `<cmnd>POWER<n>` and reports `POWER<n>` (or `POWER` for
 *   the first relay) in `<stat>RESULT` and `<tele>STATE` JSON, and plain on `<stat>POWER<n>`.
 * - `sensors` = `{"sn": <a tele/SENSOR message>, "ver": 1}`: values at [sensor][quantity].
 *
 * Each relay and sensor becomes an entity through the same `install` as HA-format configs (cap,
 * availability, state routing, the gate's command path). Each also claims the unique id Tasmota
 * gives the same thing in HA's format (`<last 6 of MAC>_RL_<n>`, `_LI_<n>`, `_<Sensor>_<Quantity>`),
 * so that with SetOption19 1 and stale native configs (or the reverse) only one entity exists:
 * the native one, which takes over the HA-format entity's id.
 */
export const TASMOTA_DISCOVERY_PREFIX = 'tasmota/discovery';

/** A real config is about 1 KB; anything near the broker's packet limit is not one. */
const MAX_PAYLOAD_BYTES = 16 * 1024;
const MAX_SENSOR_ENTITIES = 48;
/** Devices remembered (their config and sensors, up to 16 KiB each); a home has tens, not thousands. */
export const MAX_TASMOTA_DEVICES = 1_000;
const TOPIC_RE = /^tasmota\/discovery\/([0-9A-Fa-f]{12})\/(config|sensors)$/;
const SENSOR_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const text = (max: number) => z.string().max(max);
export const tasmotaConfigSchema = z.looseObject({
  ip: text(64).optional(),
  dn: text(200),
  fn: z.array(text(200).nullable()).max(64).default([]),
  hn: text(200).default(''),
  mac: z.string().regex(/^[0-9A-Fa-f]{12}$/, 'mac must be 12 hex digits'),
  md: text(200).optional(),
  sw: text(100).optional(),
  t: text(200).min(1),
  ft: text(400).min(1),
  tp: z.array(text(100).min(1)).min(3).max(8),
  rl: z.array(z.number().int().min(0).max(255)).max(64).default([]),
  so: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
  lt_st: z.number().int().optional(),
  if: z.union([z.number(), z.boolean()]).optional(),
  state: z.array(text(100).min(1)).min(2).max(8),
  onln: text(100).min(1),
  ofln: text(100).min(1),
  ver: z.number().optional(),
});
export type TasmotaConfig = z.infer<typeof tasmotaConfigSchema>;

export const tasmotaSensorsSchema = z.looseObject({
  sn: z.record(z.string(), z.unknown()),
  ver: z.number().optional(),
});

/** Quantities mapped to sensors: HA device class and unit (temperature and pressure units come from `sn`). */
const QUANTITIES: Record<string, { device_class?: string; unit?: string | 'temp' | 'pressure' }> = {
  Temperature: { device_class: 'temperature', unit: 'temp' },
  DewPoint: { device_class: 'temperature', unit: 'temp' },
  Humidity: { device_class: 'humidity', unit: '%' },
  Pressure: { device_class: 'pressure', unit: 'pressure' },
  SeaPressure: { device_class: 'pressure', unit: 'pressure' },
  Illuminance: { device_class: 'illuminance', unit: 'lx' },
  Power: { device_class: 'power', unit: 'W' },
  ApparentPower: { device_class: 'apparent_power', unit: 'VA' },
  ReactivePower: { device_class: 'reactive_power', unit: 'var' },
  Factor: { device_class: 'power_factor' },
  Voltage: { device_class: 'voltage', unit: 'V' },
  Current: { device_class: 'current', unit: 'A' },
  Total: { device_class: 'energy', unit: 'kWh' },
  Today: { device_class: 'energy', unit: 'kWh' },
  Yesterday: { device_class: 'energy', unit: 'kWh' },
};

interface Device {
  config?: TasmotaConfig;
  configTopic?: string;
  sensors?: Record<string, unknown>;
}

/** Reads `tasmota/discovery/#` and hands understood relays and sensors to MqttDiscovery.install. */
export class TasmotaDiscovery {
  private readonly devices = new Map<string, Device>();

  constructor(
    private readonly host: Pick<MqttDiscovery, 'install' | 'removeKey' | 'keysUnder'>,
    private readonly log: Logger,
  ) {}

  clear(): void {
    this.devices.clear();
  }

  onMessage(m: BrokerMessage): void {
    const match = TOPIC_RE.exec(m.topic);
    if (!match) {
      this.log.warn({ clientId: m.clientId, topic: m.topic }, 'discovery config ignored: topic is not tasmota/discovery/<MAC>/config or …/sensors');
      return;
    }
    const mac = match[1]!.toUpperCase();
    const kind = match[2] as 'config' | 'sensors';
    const device = this.devices.get(mac) ?? {};
    if (m.payload.length === 0) {
      // As HA-format removal: an empty retained config forgets the device, an empty sensors message its sensors.
      if (kind === 'config') {
        delete device.config;
        for (const key of this.host.keysUnder(`tasmota/${mac}/`)) this.host.removeKey(key);
      } else {
        delete device.sensors;
        for (const key of this.host.keysUnder(`tasmota/${mac}/sensor/`)) this.host.removeKey(key);
      }
      if (device.config || device.sensors) this.devices.set(mac, device);
      else this.devices.delete(mac);
      return;
    }
    const ignore = (why: string, extra: Record<string, unknown> = {}) =>
      this.log.warn({ clientId: m.clientId, topic: m.topic, format: 'tasmota', ...extra }, `discovery config ignored: ${why}`);
    if (m.payload.length > MAX_PAYLOAD_BYTES) return ignore('payload too large', { bytes: m.payload.length, limit: MAX_PAYLOAD_BYTES });
    let doc: unknown;
    try {
      doc = JSON.parse(m.payload.toString('utf8'));
    } catch (err) {
      return ignore('malformed JSON', { err: (err as Error).message });
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return ignore('not a JSON object');
    if (!this.devices.has(mac) && this.devices.size >= MAX_TASMOTA_DEVICES) return ignore('too many Tasmota devices', { limit: MAX_TASMOTA_DEVICES });
    if (kind === 'sensors') {
      const r = tasmotaSensorsSchema.safeParse(doc);
      if (!r.success) return ignore('invalid config', { key: r.error.issues[0]?.path.join('.'), problem: r.error.issues[0]?.message });
      device.sensors = r.data.sn;
      this.devices.set(mac, device);
      // Sensors wait for the device's config (topics, name), as HA's integration does.
      if (device.config) this.apply(m, mac, device);
      return;
    }
    const r = tasmotaConfigSchema.safeParse(doc);
    if (!r.success) return ignore('invalid config', { key: r.error.issues[0]?.path.join('.'), problem: r.error.issues[0]?.message });
    if (r.data.mac.toUpperCase() !== mac) return ignore('invalid config', { key: 'mac', problem: `mac ${r.data.mac} does not match the topic's ${mac}` });
    const topics = topicsOf(r.data);
    const bad = Object.values(topics).find((t) => topicProblem(t, m.topic) !== undefined);
    if (bad !== undefined) return ignore('invalid config', { key: 'ft', problem: `${topicProblem(bad, m.topic)}: ${bad}` });
    device.config = r.data;
    device.configTopic = m.topic;
    this.devices.set(mac, device);
    this.apply(m, mac, device);
  }

  private apply(m: BrokerMessage, mac: string, device: Device): void {
    const cfg = device.config!;
    const specs = [...relaySpecs(cfg), ...sensorSpecs(cfg, device.sensors ?? {})];
    const installed = new Set<string>();
    // Sensors are installed under the config's topic too, so that entity logs name one place.
    const at: BrokerMessage = { ...m, topic: device.configTopic ?? m.topic };
    for (const spec of specs) if (this.host.install(at, spec)) installed.add(spec.key);
    for (const key of this.host.keysUnder(`tasmota/${mac}/`)) if (!installed.has(key)) this.host.removeKey(key);
    const shutters = cfg.rl.filter((t) => t === 3).length;
    if (shutters > 0 || cfg.if === 1 || cfg.if === true) {
      this.log.info(
        { clientId: m.clientId, topic: m.topic, shutter_relays: shutters, ifan: Boolean(cfg.if) },
        'tasmota: shutters and fans are not modelled by Hearth; their relays are left out',
      );
    }
  }
}

interface Topics {
  cmnd: string;
  stat: string;
  tele: string;
}

/** `ft` with its placeholders filled, once per prefix (a function replacer: `$` in a name stays literal). */
export function topicsOf(cfg: TasmotaConfig): Topics {
  const full = (prefix: string) => {
    let t = cfg.ft
      .replaceAll('%prefix%', () => prefix)
      .replaceAll('%topic%', () => cfg.t)
      .replaceAll('%hostname%', () => cfg.hn)
      .replaceAll('%id%', () => cfg.mac.toUpperCase().slice(-6));
    if (!t.endsWith('/')) t += '/';
    return t;
  };
  return { cmnd: full(cfg.tp[0]!), stat: full(cfg.tp[1]!), tele: full(cfg.tp[2]!) };
}

/** The shared topic rules (topic-rules.ts), on the prefix a command is built from (`cmnd/x/`, …). */
function topicProblem(t: string, configTopic: string): string | undefined {
  if (t.split('/').length > 14) return 'topic too deep';
  return entityTopicProblem(t, configTopic);
}

function deviceOf(cfg: TasmotaConfig): { cfg: Cfg['device']; info: EntitySpec['device'] } {
  const mac = cfg.mac.toUpperCase();
  return {
    cfg: { identifiers: [mac], name: cfg.dn, manufacturer: 'Tasmota', model: cfg.md ?? null },
    info: { id: mac, name: cfg.dn, manufacturer: 'Tasmota', model: cfg.md },
  };
}

function relaySpecs(cfg: TasmotaConfig): EntitySpec[] {
  const mac = cfg.mac.toUpperCase();
  const { cmnd, stat, tele } = topicsOf(cfg);
  const [off, on] = cfg.state as [string, string];
  const asLight = Number(cfg.so['30']) === 1;
  const availability: Availability[] = [{ topic: `${tele}LWT`, on: cfg.onln, off: cfg.ofln }];
  const device = deviceOf(cfg);
  const out: EntitySpec[] = [];
  cfg.rl.forEach((type, i) => {
    // 0: no relay; 3: a shutter's half (not modelled); other values are unknown.
    if (type !== 1 && type !== 2) return;
    const n = i + 1;
    const component = type === 2 || asLight ? 'light' : 'switch';
    const friendly = cfg.fn[i];
    const name = friendly && friendly.trim() ? friendly : `${cfg.dn} ${n}`;
    // The first relay of a one-relay device reports `POWER`; POWER1 also works on every device.
    const keys = i === 0 ? ['POWER', 'POWER1'] : [`POWER${n}`];
    const bindings: Binding[] = [
      { topic: `${stat}RESULT`, kind: 'power', keys },
      { topic: `${tele}STATE`, kind: 'power', keys },
      { topic: `${stat}POWER${n}`, kind: 'state' },
      ...(i === 0 ? [{ topic: `${stat}POWER`, kind: 'state' as const }] : []),
    ];
    const entityCfg: Cfg = {
      name,
      unique_id: `${mac}_relay_${i}`,
      command_topic: `${cmnd}POWER${n}`,
      state_topic: `${stat}RESULT`,
      payload_on: on,
      payload_off: off,
      device: device.cfg,
    };
    out.push({
      key: `tasmota/${mac}/relay/${i}`,
      component,
      cfg: entityCfg,
      entityId: `${component}.${slug(name)}`,
      name: () => name,
      bindings,
      availability: availability.map((a) => ({ ...a })),
      availabilityMode: 'latest',
      warnings: [],
      device: device.info,
      claims: [`${mac.slice(-6)}_RL_${n}`, `${mac.slice(-6)}_LI_${n}`],
    });
  });
  return out;
}

function sensorSpecs(cfg: TasmotaConfig, sn: Record<string, unknown>): EntitySpec[] {
  const mac = cfg.mac.toUpperCase();
  const { tele } = topicsOf(cfg);
  const device = deviceOf(cfg);
  const tempUnit = sn.TempUnit === 'F' ? '°F' : sn.TempUnit === 'K' ? 'K' : '°C';
  const pressureUnit = typeof sn.PressureUnit === 'string' && sn.PressureUnit.length <= 10 ? sn.PressureUnit : 'hPa';
  const out: EntitySpec[] = [];
  for (const [sensor, values] of Object.entries(sn)) {
    if (!SENSOR_NAME.test(sensor) || !values || typeof values !== 'object' || Array.isArray(values)) continue;
    for (const [quantity, value] of Object.entries(values as Record<string, unknown>)) {
      const q = QUANTITIES[quantity];
      // Arrays (a multi-channel meter's Power: [12, 0]) and unknown quantities are left out.
      if (!q || typeof value !== 'number' || out.length >= MAX_SENSOR_ENTITIES) continue;
      const template = `{{ value_json['${sensor}']['${quantity}'] }}`;
      try {
        compileTemplate(template);
      } catch {
        continue;
      }
      const name = `${cfg.dn} ${sensor} ${quantity}`;
      const unit = q.unit === 'temp' ? tempUnit : q.unit === 'pressure' ? pressureUnit : q.unit;
      out.push({
        key: `tasmota/${mac}/sensor/${sensor}/${quantity}`,
        component: 'sensor',
        cfg: {
          name,
          unique_id: `${mac}_sensor_${sensor}_${quantity}`,
          state_topic: `${tele}SENSOR`,
          value_template: template,
          device_class: q.device_class ?? null,
          unit_of_measurement: unit ?? null,
          device: device.cfg,
        },
        entityId: `sensor.${slug(name)}`,
        name: () => name,
        bindings: [{ topic: `${tele}SENSOR`, kind: 'state', template }],
        availability: [{ topic: `${tele}LWT`, on: cfg.onln, off: cfg.ofln }],
        availabilityMode: 'latest',
        warnings: [],
        device: device.info,
        claims: [`${mac.slice(-6)}_${sensor}_${quantity}`.toUpperCase()],
      });
    }
  }
  return out;
}
