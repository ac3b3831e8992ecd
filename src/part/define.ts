import type { FastifyPluginAsync } from 'fastify';
import type { EventName, HubEvents } from '../core/bus.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import type { Principal } from '../core/principal.js';
import type { CheckResult, SettingsCheck } from '../config/checks.js';
import type { PartTables } from '../store/database.js';
import type { HubContext } from './context.js';

/**
 * What a part gives the hub once it is made: services to run (in order), routes under
 * /api/v1, and routes at the root.
 */
export interface PartInstance {
  name: string;
  services?: Service[];
  routes?: FastifyPluginAsync;
  rootRoutes?: FastifyPluginAsync;
  /** Handed the hub's component health once it exists (support diagnostics read it). */
  useHealth?(components: () => Record<string, ComponentHealth>): void;
}

/** One bus event on the web stream (`GET /api/v1/events`): what it sends, and to whom. */
export interface StreamEvent<K extends EventName> {
  /** The payload as the web sees it (redact here); undefined skips this one. */
  send: (payload: HubEvents[K]) => unknown;
  /** Who may see it; without it every signed-in client does. */
  to?: (who: Principal, payload: HubEvents[K]) => boolean;
}
export type StreamEvents = { [K in EventName]?: StreamEvent<K> };

/** A `hearth <name>` command a part brings, loaded only when run. */
export interface PartCommand {
  name: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number>; help: string }>;
}

/** What the hub derives from all the parts and hands each one when it is made. */
export interface HubCatalog {
  /** The web stream's events, gathered from every part's `events`. */
  readonly events: StreamEvents;
  /** Every part's checks: `hearth doctor`, the first-run "test connection" and support diagnostics. */
  readonly checks: readonly SettingsCheck[];
  /** Runs all of `hearth doctor`'s checks against this hub's data directory (support diagnostics). */
  diagnose(timeoutMs: number): Promise<CheckResult[]>;
}

// `any` here: a definition is known by its instance type, whatever it needs.
type AnyNeeds = Record<string, PartDefinition<any, PartInstance>>;
/** The instance a part definition makes. */
export type InstanceOf<D> = D extends PartDefinition<AnyNeeds, infer I> ? I : never;
/** The instances of the parts a part needs, under the names it gave them. */
export type DepsOf<N extends AnyNeeds> = { [K in keyof N]: InstanceOf<N[K]> };

/**
 * A part, described in its own folder (`src/<part>/part.ts`). The hub reads every list from
 * these: the tables to migrate, the order to make and start the parts in (after what each
 * needs), the web stream's events, the checks and the CLI commands.
 */
export interface PartDefinition<N extends AnyNeeds = AnyNeeds, I extends PartInstance = PartInstance> {
  readonly name: string;
  /** Its tables and numbered migrations, run when the store opens. */
  readonly tables?: PartTables;
  /** The parts it builds on, by the name its `create` receives them under. */
  readonly needs?: N;
  /** Bus events the web stream carries, and to whom. */
  readonly events?: StreamEvents;
  /** Checks of its settings and connections. */
  readonly checks?: readonly SettingsCheck[];
  /** `hearth` commands it brings. */
  readonly cli?: readonly PartCommand[];
  /** Makes the part; a part with only tables has none. */
  create?(ctx: HubContext, deps: DepsOf<N>, hub: HubCatalog): I;
}

/** Describes a part; the types of `deps` come from the `create` of the parts in `needs`. */
export function definePart<I extends PartInstance, N extends AnyNeeds = Record<never, never>>(def: PartDefinition<N, I>): PartDefinition<N, I> {
  return def;
}
