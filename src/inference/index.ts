import type { HubContext } from '../part/context.js';
import type { PartInstance } from '../part/define.js';
import type { ComponentHealth, Service } from '../core/lifecycle.js';
import type { Entity } from '../devices/model.js';
import type { UsageLedger } from '../usage/index.js';
import { LocalProvider } from './local.js';
import { RemoteProvider } from './remote.js';
import { LlmChain } from './chain.js';
import { LlmIntentResolver } from './resolver.js';
import { Summaries } from './summary.js';
import { secretValues } from './prompt.js';
import { inferenceRoutes } from './routes.js';

export { LlmChain } from './chain.js';
export { LlmIntentResolver } from './resolver.js';
export { Summaries } from './summary.js';

export interface InferenceDeps {
  /** The entities the model may name (the registry). */
  registry?: { list(): Entity[] };
  usage?: UsageLedger;
}

export interface InferencePart extends PartInstance {
  chain: LlmChain;
  local: LocalProvider;
  resolver: LlmIntentResolver;
  summaries: Summaries;
}

const RELOAD_KEYS = ['llm.model_path', 'llm.threads', 'llm.context_size'];

/** One line for /api/v1/health: each provider in `llm.order` and how it is. */
export function chainHealth(chain: LlmChain, order: string[]): ComponentHealth {
  const h = chain.health();
  const listed = order.map((n) => ({ n, ...h[n]! }));
  const detail = Object.entries(h)
    .map(([n, c]) => `${n}: ${c.detail}`)
    .join('; ');
  const usable = listed.filter((c) => c.status === 'ok');
  if (listed.every((c) => c.status === 'disabled')) return { status: 'disabled', detail };
  return { status: usable.length > 0 ? 'ok' : 'degraded', detail };
}

/**
 * The language-model part: a local GGUF (node-llama-cpp) and/or a remote OpenAI-compatible
 * server behind one chain, an intent resolver for the dialogue, and summaries. The model never
 * holds a device handle: what it proposes goes back to the dialogue and through the gate.
 */
export function createInferencePart(ctx: HubContext, deps: InferenceDeps = {}): InferencePart {
  const log = ctx.log.child({ part: 'inference' });
  const settings = () => ctx.settings.get().llm;
  const local = new LocalProvider({ settings, log });
  const remote = new RemoteProvider(settings);
  const chain = new LlmChain({ local, remote }, settings, log, deps.usage);
  const resolver = new LlmIntentResolver(
    chain,
    () => secretValues(ctx.settings.get()),
    () => settings().min_confidence,
  );
  const summaries = new Summaries(chain, () => secretValues(ctx.settings.get()));
  let offSettings: (() => void) | undefined;
  // The service carries the part's pieces, so that tests and tools reach them by name.
  const service: Service & Pick<InferencePart, 'chain' | 'local' | 'resolver' | 'summaries'> = {
    name: 'inference',
    chain,
    local,
    resolver,
    summaries,
    optional: true,
    start: () => {
      // A different file or thread count takes effect on the next request: the loaded model goes.
      offSettings = ctx.bus.on('settings.changed', ({ changed }) => {
        if (changed.some((k) => RELOAD_KEYS.includes(k))) void local.unload('settings changed');
      });
    },
    stop: async () => {
      offSettings?.();
      await local.close();
      await remote.close();
    },
    health: () => chainHealth(chain, settings().order),
  };
  return {
    name: 'inference',
    services: [service],
    routes: inferenceRoutes({ chain, local, resolver, order: () => settings().order, entities: () => deps.registry?.list() ?? [] }),
    chain,
    local,
    resolver,
    summaries,
  };
}
