import type { EventBus } from '../../core/bus.js';
import type { Clock } from '../../core/clock.js';
import type { HubContext } from '../../part/context.js';
import type { ComponentHealth } from '../../core/lifecycle.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceAdapter, Entity } from '../model.js';
import type { EntityRegistry } from '../registry.js';
import { haServiceOf } from '../domains/index.js';
import { HA_SOURCE } from './mapping.js';
import { SERVICE_NAME, toWebSocketUrl } from './protocol.js';
import { DEFAULT_TIMINGS, HaSession, type SessionTimings } from './session.js';
import { devicesErrors } from '../errors.js';
import { coreErrors } from '../../core/errors.js';

export { checkHomeAssistant } from './check.js';
export { toWebSocketUrl } from './protocol.js';
export { AUTH_INVALID_DETAIL } from './session.js';

/**
 * Keys of service data that HA reads as targets (besides entity_id): params carrying them
 * could widen a command approved for one entity to a device, an area or a floor.
 */
const TARGET_KEYS = ['entity_id', 'device_id', 'area_id', 'floor_id', 'label_id'];

export interface HomeAssistantAdapterDeps {
  registry: EntityRegistry;
  log: Logger;
  clock: Clock;
  /** When given, a change of homeassistant.url, token or ca reconnects with the new values. */
  bus?: EventBus;
}

export interface HomeAssistantAdapterOptions {
  /** Both unset: the bridge waits, disabled, until the owner sets them (no restart needed). */
  url?: string;
  token?: string;
  /** homeassistant.ca: PEM file of the CA(s) that sign HA's https certificate. */
  ca?: string;
  timings?: Partial<SessionTimings>;
}

/**
 * The Home Assistant bridge: HA's entities in the registry, following HA across its restarts,
 * and HA services as the command path. Optional: start() returns at once and the connection
 * proceeds in the background; health says where it stands.
 */
export class HomeAssistantAdapter implements DeviceAdapter {
  readonly name = 'homeassistant';
  readonly source = HA_SOURCE;
  readonly optional = true;
  private session?: HaSession;
  private started = false;
  private url?: string;
  private token?: string;
  private ca?: string;
  private readonly timings: SessionTimings;
  private offSettings?: () => void;

  constructor(
    private readonly deps: HomeAssistantAdapterDeps,
    options: HomeAssistantAdapterOptions,
  ) {
    if (options.url) toWebSocketUrl(options.url); // a bad URL fails here, not in the background
    this.url = options.url;
    this.token = options.token;
    this.ca = options.ca;
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
  }

  /** The WebSocket URL in use (for health and tests). */
  get wsUrl(): string | undefined {
    return this.url ? toWebSocketUrl(this.url) : undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.offSettings = this.deps.bus?.on('settings.changed', ({ settings, changed }) => {
      if (!changed.some((k) => k.startsWith('homeassistant.'))) return;
      const { url, token, ca } = settings.homeassistant;
      this.reconfigure(url, token, ca);
    });
    this.openSession();
  }

  stop(): void {
    this.started = false;
    this.offSettings?.();
    this.offSettings = undefined;
    this.session?.stop();
    this.session = undefined;
    // Nothing keeps these entities current any more.
    for (const e of this.deps.registry.list({ source: HA_SOURCE })) this.deps.registry.setAvailable(e.id, false);
  }

  /**
   * Support's "re-sync Home Assistant": a new connection, subscribed again, every state loaded
   * again. Resolves with what it saw once in sync; throws when it is not within `timeoutMs`.
   */
  async resync(timeoutMs = 15_000): Promise<string> {
    if (!this.started) throw coreErrors.error('MAINTENANCE_NO_EFFECT', 'the Home Assistant bridge is not running');
    if (!this.url || !this.token) throw coreErrors.error('MAINTENANCE_NO_EFFECT', 'Home Assistant is not set up (homeassistant.url and homeassistant.token)');
    this.session?.stop();
    this.session = undefined;
    this.openSession();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const health = this.health();
      if (health.status === 'ok') return `connected again, subscribed and loaded: ${health.detail}`;
      if (Date.now() > deadline)
        throw coreErrors.error('MAINTENANCE_NO_EFFECT', `not in sync again within ${Math.round(timeoutMs / 1000)} s: ${health.detail}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  health(): ComponentHealth {
    if (!this.url || !this.token) return { status: 'disabled', detail: 'homeassistant.url and homeassistant.token are not set' };
    return this.session?.health() ?? { status: 'stopped', detail: 'stopped' };
  }

  /**
   * Calls the HA service named by the operation on the entity's own domain (light.turn_on,
   * lock.unlock, …; `haServiceOf` in the domain descriptions) with `{...params, entity_id}`. Only the gate's executor calls this.
   */
  async execute(entity: Entity, operation: string, params: Record<string, unknown>): Promise<void> {
    if (entity.source !== HA_SOURCE) {
      throw devicesErrors.error('WRONG_ADAPTER', `${entity.id} comes from ${entity.source}, not from Home Assistant`);
    }
    const { domain, service } = haServiceOf(entity.id.split('.')[0] ?? '', operation);
    if (!SERVICE_NAME.test(domain) || !SERVICE_NAME.test(service)) {
      throw devicesErrors.error('BAD_OPERATION', `${operation} is not a Home Assistant service name`);
    }
    const widening = TARGET_KEYS.filter((k) => Object.hasOwn(params, k));
    if (widening.length > 0) {
      throw devicesErrors.error('BAD_PARAMS', `params may not name targets (${widening.join(', ')}): an action acts on its own entity only`);
    }
    const session = this.session;
    if (!session) throw devicesErrors.error('HA_NOT_CONNECTED', 'the Home Assistant bridge is not running');
    this.deps.log.debug({ entity_id: entity.id, service: `${domain}.${service}` }, 'calling a Home Assistant service');
    await session.callService(domain, service, { ...params, entity_id: entity.id });
  }

  private openSession(): void {
    if (!this.url || !this.token) return;
    this.session = new HaSession(this.deps, toWebSocketUrl(this.url), this.token, this.timings, this.ca);
    this.session.start();
  }

  private reconfigure(url: string | undefined, token: string | undefined, ca: string | undefined): void {
    if (url === this.url && token === this.token && ca === this.ca) return;
    try {
      if (url) toWebSocketUrl(url);
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message }, 'homeassistant.url is not usable; keeping the current connection');
      return;
    }
    this.deps.log.info('Home Assistant settings changed; reconnecting');
    this.session?.stop();
    this.session = undefined;
    this.url = url;
    this.token = token;
    this.ca = ca;
    if (!url || !token) {
      this.deps.registry.removeSource(HA_SOURCE);
      return;
    }
    if (this.started) this.openSession();
  }
}

/**
 * The bridge, always: without homeassistant.url and token it reports `disabled` and connects as
 * soon as the owner sets them (first run, Settings), without a restart. The devices part runs
 * it as one of its services.
 */
export function createHomeAssistantAdapter(ctx: HubContext, registry: EntityRegistry): HomeAssistantAdapter {
  const { url, token, ca } = ctx.settings.get().homeassistant;
  return new HomeAssistantAdapter({ registry, log: ctx.log.child({ part: 'homeassistant' }), clock: ctx.clock, bus: ctx.bus }, { url, token, ca });
}
