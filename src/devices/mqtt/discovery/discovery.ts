import type { Logger } from '../../../core/logger.js';
import type { EntityRegistry } from '../../registry.js';
import type { Entity } from '../../model.js';
import type { BrokerMessage, LanBroker } from '../broker.js';
import {
  componentConfigSchema, entityIdFor, expandAbbreviations, expandBase, friendlyName, isSupported, KNOWN_UNMODELED, parseDiscoveryTopic,
  cfgText, type Component, type ComponentConfig,
} from './config.js';
import { bindingsFor, interpret, staticAttributes, type Binding } from './components.js';
import { compileTemplate, payloadVars, toText, TemplateError } from './template.js';

type Cfg = ComponentConfig & Record<string, unknown>;

interface Availability {
  topic: string;
  on: string;
  off: string;
  template?: string;
}

/** One discovered entity: its config and the topics it listens to. */
export interface Discovered {
  key: string;
  configTopic: string;
  component: Component;
  cfg: Cfg;
  entityId: string;
  availability: Availability[];
  availabilityMode: 'all' | 'any' | 'latest';
  availabilityValues: Map<string, boolean>;
  unsubscribe: (() => void)[];
}

export const DISCOVERY_PREFIX = 'homeassistant';
/** Most entities discovery will hold; configs beyond are refused with a log line. */
const MAX_ENTITIES = 10_000;

/**
 * Home Assistant MQTT discovery on the embedded broker: configs under
 * `homeassistant/<component>/[<node_id>/]<object_id>/config` (and device-based
 * `homeassistant/device/<id>/config`) become registry entities whose state follows their topics.
 * Bad configs are logged with the publishing client and topic and ignored.
 */
export class MqttDiscovery {
  private readonly records = new Map<string, Discovered>();
  private readonly byEntity = new Map<string, Discovered>();
  /** Device-based configs: config topic → component keys it created. */
  private readonly deviceKeys = new Map<string, Set<string>>();
  private readonly routes = new Map<string, { handlers: Set<(payload: string) => void>; unsubscribe: () => void }>();
  private unsubscribeConfig?: () => void;

  constructor(
    private readonly broker: LanBroker,
    private readonly registry: EntityRegistry,
    private readonly log: Logger,
    private readonly source = 'mqtt',
  ) {}

  async start(): Promise<void> {
    this.unsubscribeConfig = this.broker.subscribe(`${DISCOVERY_PREFIX}/#`, (m) => this.onMessage(m));
    // aedes' in-process subscribe does not replay retained messages: read them ourselves.
    for (const m of await this.broker.retained(`${DISCOVERY_PREFIX}/#`)) this.onMessage(m);
  }

  stop(): void {
    this.unsubscribeConfig?.();
    for (const r of [...this.records.values()]) this.drop(r, false);
    for (const route of this.routes.values()) route.unsubscribe();
    this.routes.clear();
    this.deviceKeys.clear();
  }

  get size(): number {
    return this.records.size;
  }

  lookup(entityId: string): Discovered | undefined {
    return this.byEntity.get(entityId);
  }

  onMessage(m: BrokerMessage): void {
    if (!m.topic.endsWith('/config')) return;
    const parsed = parseDiscoveryTopic(m.topic, DISCOVERY_PREFIX);
    if (!parsed) {
      this.log.warn({ clientId: m.clientId, topic: m.topic }, 'discovery config ignored: topic is not homeassistant/<component>/[<node_id>/]<object_id>/config');
      return;
    }
    if (m.payload.length === 0) {
      this.removeConfig(m.topic, parsed.key, parsed.component === 'device');
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(m.payload.toString('utf8'));
    } catch (err) {
      this.log.warn({ clientId: m.clientId, topic: m.topic, err: (err as Error).message }, 'discovery config ignored: malformed JSON');
      return;
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      this.log.warn({ clientId: m.clientId, topic: m.topic }, 'discovery config ignored: not a JSON object');
      return;
    }
    const config = expandAbbreviations(doc as Record<string, unknown>);
    if (parsed.component === 'device') this.onDeviceConfig(m, parsed.key, config);
    else this.onComponentConfig(m, parsed.key, parsed.component, parsed.objectId, config);
  }

  private onDeviceConfig(m: BrokerMessage, deviceKey: string, config: Record<string, unknown>): void {
    const { components, device, origin, ...shared } = config;
    if (!components || typeof components !== 'object' || Array.isArray(components)) {
      this.log.warn({ clientId: m.clientId, topic: m.topic }, 'discovery config ignored: device config without components (cmps)');
      return;
    }
    const previous = this.deviceKeys.get(m.topic) ?? new Set<string>();
    const current = new Set<string>();
    for (const [cmpId, raw] of Object.entries(components as Record<string, unknown>)) {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) continue;
      const cmp = raw as Record<string, unknown>;
      const platform = typeof cmp.platform === 'string' ? cmp.platform : '';
      const key = `${deviceKey}/${cmpId}`;
      // A component reduced to its platform alone is HA's way of removing it.
      if (Object.keys(cmp).length === 1) continue;
      if (this.onComponentConfig(m, key, platform, cmpId, { ...shared, ...cmp, device, origin })) current.add(key);
    }
    for (const key of previous) if (!current.has(key)) this.removeKey(key);
    if (current.size > 0) this.deviceKeys.set(m.topic, current);
    else this.deviceKeys.delete(m.topic);
  }

  /** Returns true when the component was (re)configured. */
  private onComponentConfig(m: BrokerMessage, key: string, component: string, objectId: string, config: Record<string, unknown>): boolean {
    if (!isSupported(component)) {
      if (KNOWN_UNMODELED.has(component)) this.log.info({ clientId: m.clientId, topic: m.topic, component }, 'discovery config ignored: component not modelled by Hearth');
      else this.log.warn({ clientId: m.clientId, topic: m.topic, component }, 'discovery config ignored: unknown component');
      return false;
    }
    const result = componentConfigSchema.safeParse(expandBase(config));
    if (!result.success) {
      const issue = result.error.issues[0];
      this.log.warn({ clientId: m.clientId, topic: m.topic, key: issue?.path.join('.'), problem: issue?.message }, 'discovery config ignored: invalid config');
      return false;
    }
    const cfg = result.data as Cfg;
    const prev = this.records.get(key);
    if (!prev && this.records.size >= MAX_ENTITIES) {
      this.log.warn({ clientId: m.clientId, topic: m.topic, limit: MAX_ENTITIES }, 'discovery config ignored: too many discovered entities');
      return false;
    }
    if (prev) this.drop(prev, prev.component !== component);
    let entityId = prev && prev.component === component ? prev.entityId : entityIdFor(component, cfg, objectId);
    if (!prev || prev.entityId !== entityId) entityId = this.uniqueId(entityId);

    const bindings: Binding[] = [];
    const warnings: string[] = [];
    for (const b of bindingsFor(component, cfg)) {
      if (b.template) {
        try {
          compileTemplate(b.template);
        } catch (err) {
          warnings.push(`template "${b.template}" for ${b.topic} cannot be evaluated: ${(err as Error).message}`);
          this.log.warn({ clientId: m.clientId, topic: m.topic, entity_id: entityId, template: b.template }, 'discovery: template cannot be evaluated; entity marked with a warning');
          continue;
        }
      }
      bindings.push(b);
    }
    const availability = availabilityOf(cfg);
    for (const a of availability) {
      if (!a.template) continue;
      try {
        compileTemplate(a.template);
      } catch (err) {
        warnings.push(`availability template "${a.template}" cannot be evaluated: ${(err as Error).message}`);
        a.template = undefined;
      }
    }
    const record: Discovered = {
      key,
      configTopic: m.topic,
      component,
      cfg,
      entityId,
      availability,
      availabilityMode: cfg.availability_mode ?? 'latest',
      availabilityValues: new Map(),
      unsubscribe: [],
    };
    this.records.set(key, record);
    this.byEntity.set(entityId, record);
    const existing = this.registry.get(entityId);
    const device = cfg.device
      ? {
          id: Array.isArray(cfg.device.identifiers) ? cfg.device.identifiers[0] : (cfg.device.identifiers ?? undefined),
          name: cfg.device.name ?? undefined,
          manufacturer: cfg.device.manufacturer ?? undefined,
          model: cfg.device.model ?? undefined,
        }
      : null;
    this.registry.upsert({
      id: entityId,
      name: friendlyName(cfg, entityId),
      domain: component,
      state: existing?.state ?? 'unknown',
      attributes: { ...(existing?.attributes ?? {}), ...staticAttributes(component, cfg) },
      source: this.source,
      available: availability.length === 0 ? true : (existing?.available ?? false),
      device,
      area: existing ? undefined : (cfg.device?.suggested_area ?? undefined),
      warning: warnings.length ? warnings.join('; ') : null,
    });
    for (const b of bindings) record.unsubscribe.push(this.route(b.topic, (payload) => this.onState(record, b, payload)));
    for (const a of availability) record.unsubscribe.push(this.route(a.topic, (payload) => this.onAvailability(record, a, payload)));
    this.log.debug({ clientId: m.clientId, topic: m.topic, entity_id: entityId }, prev ? 'discovery: entity updated' : 'discovery: entity added');
    return true;
  }

  private onState(record: Discovered, binding: Binding, payload: string): void {
    if (this.byEntity.get(record.entityId) !== record) return;
    try {
      const update = interpret(record.component, record.cfg, binding, payload);
      if (!update) return;
      const current = this.registry.get(record.entityId);
      if (!current) return;
      this.registry.setState(record.entityId, update.state ?? current.state, update.attributes);
      if (current.warning?.startsWith('runtime:')) this.setWarning(record.entityId, null);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      const warning = `runtime: template "${binding.template ?? ''}" failed on a message from ${binding.topic}: ${err.message}`;
      if (this.registry.get(record.entityId)?.warning !== warning) {
        this.log.warn({ entity_id: record.entityId, topic: binding.topic, err: err.message }, 'discovery: template failed on a state message; entity marked with a warning');
        this.setWarning(record.entityId, warning);
      }
    }
  }

  private onAvailability(record: Discovered, a: Availability, payload: string): void {
    if (this.byEntity.get(record.entityId) !== record) return;
    let value = payload;
    if (a.template) {
      try {
        value = toText(compileTemplate(a.template).evaluate(payloadVars(payload)));
      } catch {
        return;
      }
    }
    let available: boolean;
    if (value === a.on) available = true;
    else if (value === a.off) available = false;
    else return;
    record.availabilityValues.set(a.topic, available);
    if (record.availabilityMode === 'all') available = record.availability.every((x) => record.availabilityValues.get(x.topic) === true);
    else if (record.availabilityMode === 'any') available = [...record.availabilityValues.values()].some(Boolean);
    this.registry.setAvailable(record.entityId, available);
  }

  private setWarning(entityId: string, warning: string | null): void {
    const e = this.registry.get(entityId);
    if (!e || e.warning === warning) return;
    const { last_changed: _c, last_updated: _u, ...rest } = e;
    this.registry.upsert({ ...rest, warning } as Omit<Entity, 'last_changed' | 'last_updated'>);
  }

  /** Subscribes a handler to an exact topic (one broker subscription per topic) and replays its retained value. */
  private route(topic: string, handler: (payload: string) => void): () => void {
    let route = this.routes.get(topic);
    if (!route) {
      const handlers = new Set<(payload: string) => void>();
      const unsubscribe = this.broker.subscribe(topic, (msg) => {
        const text = msg.payload.toString('utf8');
        for (const h of [...handlers]) h(text);
      });
      route = { handlers, unsubscribe };
      this.routes.set(topic, route);
    }
    route.handlers.add(handler);
    // What a new subscriber would get first: the retained payload, or a state sent moments ago.
    const last = this.broker.retainedPayload(topic) ?? this.broker.recentPayload(topic);
    if (last && last.length > 0) handler(last.toString('utf8'));
    return () => {
      const r = this.routes.get(topic);
      if (!r) return;
      r.handlers.delete(handler);
      if (r.handlers.size === 0) {
        r.unsubscribe();
        this.routes.delete(topic);
      }
    };
  }

  private uniqueId(base: string): string {
    if (!this.byEntity.has(base) && !this.registry.get(base)) return base;
    if (!this.byEntity.has(base) && this.registry.get(base)?.source === this.source) return base;
    for (let i = 2; ; i++) {
      const id = `${base}_${i}`;
      if (!this.byEntity.has(id) && !this.registry.get(id)) return id;
    }
  }

  private removeConfig(topic: string, key: string, isDevice: boolean): void {
    if (isDevice) {
      for (const k of this.deviceKeys.get(topic) ?? []) this.removeKey(k);
      this.deviceKeys.delete(topic);
      return;
    }
    this.removeKey(key);
  }

  private removeKey(key: string): void {
    const r = this.records.get(key);
    if (r) this.drop(r, true);
  }

  private drop(r: Discovered, removeEntity: boolean): void {
    for (const u of r.unsubscribe) u();
    r.unsubscribe = [];
    this.records.delete(r.key);
    if (this.byEntity.get(r.entityId) === r) this.byEntity.delete(r.entityId);
    if (removeEntity) {
      this.registry.remove(r.entityId);
      this.log.info({ topic: r.configTopic, entity_id: r.entityId }, 'discovery: entity removed');
    }
  }
}

function availabilityOf(cfg: Cfg): Availability[] {
  const on = cfgText(cfg, 'payload_available', 'online');
  const off = cfgText(cfg, 'payload_not_available', 'offline');
  if (cfg.availability?.length) {
    return cfg.availability.map((a) => ({
      topic: a.topic,
      on: cfgText(a, 'payload_available', 'online'),
      off: cfgText(a, 'payload_not_available', 'offline'),
      template: a.value_template,
    }));
  }
  if (cfg.availability_topic) return [{ topic: cfg.availability_topic, on, off, template: cfg.availability_template }];
  return [];
}
