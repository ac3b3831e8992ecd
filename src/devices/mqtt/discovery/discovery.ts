import type { Logger } from '../../../core/logger.js';
import type { EntityRegistry } from '../../registry.js';
import type { Entity } from '../../model.js';
import type { BrokerMessage, LanBroker } from '../broker.js';
import {
  componentConfigSchema,
  entityIdFor,
  expandAbbreviations,
  expandBase,
  friendlyName,
  isSupported,
  KNOWN_UNMODELED,
  parseDiscoveryTopic,
  cfgText,
  type Component,
  type ComponentConfig,
} from './config.js';
import { bindingsFor, interpret, staticAttributes, type Binding } from './components.js';
import { compileTemplate, payloadVars, toText, TemplateError } from './template.js';
import { TASMOTA_DISCOVERY_PREFIX, TasmotaDiscovery } from './tasmota.js';
import { configTopicProblem, isDemoDiscovery } from '../topic-rules.js';

export type Cfg = ComponentConfig & Record<string, unknown>;

export interface Availability {
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
  /** HA-format unique ids (upper case) this entity stands for; only Tasmota's native entities have any. */
  claims: string[];
  unsubscribe: (() => void)[];
}

/** An understood config, ready to become an entity (see `install`). */
export interface EntitySpec {
  key: string;
  component: Component;
  cfg: Cfg;
  /** The id wanted for a new entity; a taken one gets `_2`, `_3`, …. */
  entityId: string;
  name: (entityId: string) => string;
  bindings: Binding[];
  availability: Availability[];
  availabilityMode: 'all' | 'any' | 'latest';
  warnings: string[];
  device: Entity['device'];
  area?: string;
  claims: string[];
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
  private unsubscribeTasmota?: () => void;
  /** HA-format unique id (upper case) → key of the native Tasmota entity that stands for it. */
  private readonly claims = new Map<string, string>();
  /** HA-format configs set aside for a native Tasmota entity: key → config topic and the claim. */
  private readonly suppressed = new Map<string, { topic: string; claim: string }>();
  /** HA-format unique_id → key of the config that holds it (the first one wins, as in HA). */
  private readonly uniqueIds = new Map<string, string>();
  private readonly tasmota: TasmotaDiscovery;

  constructor(
    private readonly broker: LanBroker,
    private readonly registry: EntityRegistry,
    private readonly log: Logger,
    private readonly source = 'mqtt',
  ) {
    this.tasmota = new TasmotaDiscovery(this, log);
  }

  async start(): Promise<void> {
    this.unsubscribeConfig = this.broker.subscribe(`${DISCOVERY_PREFIX}/#`, (m) => this.onMessage(m));
    // aedes' in-process subscribe does not replay retained messages: read them ourselves.
    for (const m of await this.broker.retained(`${DISCOVERY_PREFIX}/#`)) this.onMessage(m);
    // Stock Tasmota (9.x and later) announces itself in its own format, not HA's.
    this.unsubscribeTasmota = this.broker.subscribe(`${TASMOTA_DISCOVERY_PREFIX}/#`, (m) => this.tasmota.onMessage(m));
    for (const m of await this.broker.retained(`${TASMOTA_DISCOVERY_PREFIX}/#`)) this.tasmota.onMessage(m);
  }

  stop(): void {
    this.unsubscribeConfig?.();
    this.unsubscribeTasmota?.();
    for (const r of [...this.records.values()]) this.drop(r, false);
    this.claims.clear();
    this.suppressed.clear();
    this.uniqueIds.clear();
    this.tasmota.clear();
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
      this.log.warn(
        { clientId: m.clientId, topic: m.topic },
        'discovery config ignored: topic is not homeassistant/<component>/[<node_id>/]<object_id>/config',
      );
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
      if (KNOWN_UNMODELED.has(component))
        this.log.info({ clientId: m.clientId, topic: m.topic, component }, 'discovery config ignored: component not modelled by Hearth');
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
    // A config must not make the hub command (or read) its own topics, the broker's or discovery's.
    const bad = configTopicProblem(cfg, m.topic);
    if (bad) {
      this.removeKey(key);
      this.log.warn(
        { clientId: m.clientId, topic: m.topic, config_key: bad.key, refused_topic: bad.topic, problem: bad.problem },
        'discovery config refused: it names a topic reserved for the hub',
      );
      return false;
    }
    // Tasmota with SetOption19 1 may also announce, in HA's format, a relay or sensor its native
    // discovery already brought: the native entity stands for it, this config waits (see tasmota.ts).
    const uid = cfg.unique_id?.toUpperCase();
    const owner = uid === undefined ? undefined : this.claims.get(uid);
    if (owner !== undefined && owner !== key) {
      this.removeKey(key);
      this.suppressed.set(key, { topic: m.topic, claim: uid! });
      this.log.info(
        { clientId: m.clientId, topic: m.topic, unique_id: cfg.unique_id, native: owner },
        'discovery config ignored: the same Tasmota entity comes from its native discovery',
      );
      return false;
    }
    // A second config with a unique id already in use would be a twin (a look-alike "Front door"
    // the sender controls): HA ignores it, and so do we, until the first one is removed.
    const holder = cfg.unique_id === undefined ? undefined : this.records.get(this.uniqueIds.get(cfg.unique_id) ?? '');
    if (holder && holder.key !== key) {
      // The demo home's configs (only the hub publishes them) win whatever order they are read in.
      if (!isDemoDiscovery(m.topic) || isDemoDiscovery(holder.configTopic)) {
        this.log.warn(
          { clientId: m.clientId, topic: m.topic, unique_id: cfg.unique_id, held_by: holder.configTopic },
          'discovery config refused: its unique_id is already used by another entity',
        );
        return false;
      }
      this.log.warn({ topic: holder.configTopic, unique_id: cfg.unique_id }, 'discovery config refused: its unique_id belongs to the demo home');
      this.removeKey(holder.key);
    }
    this.suppressed.delete(key);
    const prev = this.records.get(key);
    const entityId = prev && prev.component === component ? prev.entityId : entityIdFor(component, cfg, objectId);

    const bindings: Binding[] = [];
    const warnings: string[] = [];
    for (const b of bindingsFor(component, cfg)) {
      if (b.template) {
        try {
          compileTemplate(b.template);
        } catch (err) {
          warnings.push(`template "${b.template}" for ${b.topic} cannot be evaluated: ${(err as Error).message}`);
          this.log.warn(
            { clientId: m.clientId, topic: m.topic, entity_id: entityId, template: b.template },
            'discovery: template cannot be evaluated; entity marked with a warning',
          );
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
    const device = cfg.device
      ? {
          id: Array.isArray(cfg.device.identifiers) ? cfg.device.identifiers[0] : (cfg.device.identifiers ?? undefined),
          name: cfg.device.name ?? undefined,
          manufacturer: cfg.device.manufacturer ?? undefined,
          model: cfg.device.model ?? undefined,
        }
      : null;
    return this.install(m, {
      key,
      component,
      cfg,
      entityId,
      name: (id) => friendlyName(cfg, id),
      bindings,
      availability,
      availabilityMode: cfg.availability_mode ?? 'latest',
      warnings,
      device,
      area: cfg.device?.suggested_area ?? undefined,
      claims: [],
    });
  }

  /**
   * Creates or updates the entity one understood config describes, whatever its format (HA's, or
   * Tasmota's native one through tasmota.ts): the entity cap, the registry entry, its topics.
   */
  install(m: BrokerMessage, spec: EntitySpec): boolean {
    const prev = this.records.get(spec.key);
    if (!prev && this.records.size >= MAX_ENTITIES) {
      this.log.warn({ clientId: m.clientId, topic: m.topic, limit: MAX_ENTITIES }, 'discovery config ignored: too many discovered entities');
      return false;
    }
    if (prev) this.drop(prev, prev.component !== spec.component);
    // An HA-format config already holding what this entity claims gives way; its entity id (and so
    // the owner's aliases and area) carries over when the domain is the same.
    let takenOver: string | undefined;
    for (const claim of spec.claims) {
      for (const dup of [...this.records.values()]) {
        if (dup.claims.length > 0 || dup.cfg.unique_id?.toUpperCase() !== claim) continue;
        const keep = !prev && takenOver === undefined && dup.component === spec.component;
        this.drop(dup, !keep);
        if (keep) takenOver = dup.entityId;
        this.suppressed.set(dup.key, { topic: dup.configTopic, claim });
        this.log.info(
          { clientId: m.clientId, topic: dup.configTopic, unique_id: dup.cfg.unique_id, native: spec.key },
          'discovery: HA-format config set aside; the same Tasmota entity comes from its native discovery',
        );
      }
      this.claims.set(claim, spec.key);
    }
    let entityId = prev && prev.component === spec.component ? prev.entityId : (takenOver ?? spec.entityId);
    if (!prev || prev.entityId !== entityId) entityId = this.uniqueId(entityId);

    const record: Discovered = {
      key: spec.key,
      configTopic: m.topic,
      component: spec.component,
      cfg: spec.cfg,
      entityId,
      availability: spec.availability,
      availabilityMode: spec.availabilityMode,
      availabilityValues: new Map(),
      claims: spec.claims,
      unsubscribe: [],
    };
    this.records.set(spec.key, record);
    this.byEntity.set(entityId, record);
    const uid = spec.claims.length === 0 ? spec.cfg.unique_id : undefined;
    if (uid !== undefined && !this.records.has(this.uniqueIds.get(uid) ?? '')) this.uniqueIds.set(uid, spec.key);
    const existing = this.registry.get(entityId);
    this.registry.upsert({
      id: entityId,
      name: spec.name(entityId),
      domain: spec.component,
      state: existing?.state ?? 'unknown',
      attributes: { ...(existing?.attributes ?? {}), ...staticAttributes(spec.component, spec.cfg) },
      source: this.source,
      available: spec.availability.length === 0 ? true : (existing?.available ?? false),
      device: spec.device,
      area: existing ? undefined : spec.area,
      warning: spec.warnings.length ? spec.warnings.join('; ') : null,
    });
    for (const b of spec.bindings) record.unsubscribe.push(this.route(b.topic, (payload) => this.onState(record, b, payload)));
    for (const a of spec.availability) record.unsubscribe.push(this.route(a.topic, (payload) => this.onAvailability(record, a, payload)));
    this.log.debug({ clientId: m.clientId, topic: m.topic, entity_id: entityId }, prev ? 'discovery: entity updated' : 'discovery: entity added');
    if (prev)
      this.release(
        prev.claims.filter((c) => !spec.claims.includes(c)),
        spec.key,
      );
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
        this.log.warn(
          { entity_id: record.entityId, topic: binding.topic, err: err.message },
          'discovery: template failed on a state message; entity marked with a warning',
        );
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
    this.suppressed.delete(key);
    if (isDevice) {
      for (const k of this.deviceKeys.get(topic) ?? []) this.removeKey(k);
      this.deviceKeys.delete(topic);
      return;
    }
    this.removeKey(key);
  }

  /** Removes an entity for good (its config was removed or replaced). */
  removeKey(key: string): void {
    const r = this.records.get(key);
    if (!r) return;
    this.drop(r, true);
    this.release(r.claims, key);
  }

  /** Keys of the entities whose key starts with `prefix`. */
  keysUnder(prefix: string): string[] {
    return [...this.records.keys()].filter((k) => k.startsWith(prefix));
  }

  /** Gives up claims; HA-format configs set aside for them are read again from their retained payload. */
  private release(claims: string[], key: string): void {
    if (claims.length === 0) return;
    for (const c of claims) if (this.claims.get(c) === key) this.claims.delete(c);
    const topics = new Set<string>();
    for (const [k, s] of [...this.suppressed]) {
      if (!claims.includes(s.claim) || this.claims.has(s.claim)) continue;
      this.suppressed.delete(k);
      topics.add(s.topic);
    }
    for (const topic of topics) {
      const payload = this.broker.retainedPayload(topic);
      if (payload && payload.length > 0) this.onMessage({ topic, payload, retain: true, clientId: null });
    }
  }

  private drop(r: Discovered, removeEntity: boolean): void {
    for (const u of r.unsubscribe) u();
    r.unsubscribe = [];
    this.records.delete(r.key);
    if (this.byEntity.get(r.entityId) === r) this.byEntity.delete(r.entityId);
    if (r.cfg.unique_id !== undefined && this.uniqueIds.get(r.cfg.unique_id) === r.key) this.uniqueIds.delete(r.cfg.unique_id);
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
