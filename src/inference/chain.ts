import type { Logger } from '../core/logger.js';
import type { ComponentHealth } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import type { LlmSettings } from '../config/sections/llm.js';
import type { UsageLedger } from '../usage/index.js';
import { CancelledError, type GenerateRequest, type GenerateResult, type LlmProvider, type ProviderName } from './provider.js';
import { inferenceErrors } from './errors.js';

export interface ChainRequest extends Omit<GenerateRequest, 'maxTokens'> {
  /** Whose budget pays: a member id, or `system` for the hub's own summaries. */
  member_id: string;
  maxTokens?: number;
}

export interface ChainResult extends GenerateResult {
  provider: ProviderName;
  /** Providers that failed before this one answered, with why. */
  skipped: { provider: ProviderName; error: string }[];
}

/**
 * The providers in `llm.order`, tried in turn. Each gets `llm.timeout_s`; one that fails or
 * times out hands over to the next. Before each try the member's budget is reserved (prompt
 * tokens plus the most the answer may have) and after it settled to what was spent, so
 * concurrent requests cannot pass a cap. A cancelled request stops the chain.
 */
export class LlmChain {
  constructor(
    private readonly providers: Record<ProviderName, LlmProvider>,
    private readonly settings: () => LlmSettings,
    private readonly log: Logger,
    private readonly usage?: UsageLedger,
  ) {}

  /** The providers that would be tried now, in order. */
  active(): LlmProvider[] {
    return this.settings()
      .order.map((n) => this.providers[n])
      .filter((p) => p.configured());
  }

  available(): boolean {
    return this.active().length > 0;
  }

  async generate(req: ChainRequest): Promise<ChainResult> {
    const s = this.settings();
    const maxTokens = Math.min(req.maxTokens ?? s.max_output_tokens, s.max_output_tokens);
    const skipped: ChainResult['skipped'] = [];
    for (const provider of this.active()) {
      if (req.signal.aborted) throw new CancelledError();
      const promptTokens = await provider.countTokens(req.system + req.data);
      const reservation = this.usage?.reserve(req.member_id, 'llm_tokens', promptTokens + maxTokens);
      const timeout = AbortSignal.timeout(s.timeout_s * 1000);
      const signal = AbortSignal.any([req.signal, timeout]);
      try {
        const result = await provider.generate({ system: req.system, data: req.data, schema: req.schema, maxTokens, signal });
        if (reservation) this.usage!.settle(reservation, result.promptTokens + result.outputTokens);
        return { ...result, provider: provider.name, skipped };
      } catch (err) {
        if (reservation) this.usage!.release(reservation);
        if (req.signal.aborted) throw new CancelledError();
        const error = timeout.aborted ? `no answer within ${s.timeout_s} s` : errorMessage(err);
        this.log.warn({ provider: provider.name, err: error }, 'language model provider failed; trying the next');
        skipped.push({ provider: provider.name, error });
      }
    }
    throw inferenceErrors.error('LLM_UNAVAILABLE', skipped.length === 0 ? 'no language model is set up' : 'no language model could answer just now', {
      skipped,
    });
  }

  health(): Record<string, ComponentHealth> {
    const out: Record<string, ComponentHealth> = {};
    for (const name of Object.keys(this.providers) as ProviderName[]) {
      const h = this.providers[name].health();
      const listed = this.settings().order.includes(name);
      out[name] = listed ? { status: h.status, detail: h.detail } : { status: 'disabled', detail: `not in llm.order (${h.detail})` };
    }
    return out;
  }
}
