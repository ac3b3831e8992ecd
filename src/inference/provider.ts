import type { ComponentHealth } from '../core/lifecycle.js';

/**
 * One language-model provider (the local GGUF, a remote OpenAI-compatible server). A provider
 * only turns a prompt into text: it never sees a device handle, and what it returns is parsed
 * and validated by the caller. `system` holds Hearth's instructions; `data` holds the request
 * with every untrusted text already quoted (see prompt.ts).
 */
export interface GenerateRequest {
  system: string;
  data: string;
  /** A JSON schema the answer must follow (a grammar locally, `response_format` remotely); plain text when absent. */
  schema?: Record<string, unknown>;
  maxTokens: number;
  signal: AbortSignal;
}

export interface GenerateResult {
  text: string;
  promptTokens: number;
  outputTokens: number;
  /** Milliseconds from the request to the first token, when the provider can tell. */
  firstTokenMs?: number;
}

export type ProviderName = 'local' | 'remote';

export interface LlmProvider {
  readonly name: ProviderName;
  /** Whether it is configured at all (a model path, a URL); unconfigured providers are skipped. */
  configured(): boolean;
  generate(req: GenerateRequest): Promise<GenerateResult>;
  /** A cheap estimate of the prompt's tokens, for the budget reservation. */
  countTokens(text: string): Promise<number>;
  health(): ComponentHealth & { state?: string };
  close(): Promise<void>;
}

/** A crude but safe over-estimate (about 3 characters a token for English) when no tokenizer is at hand. */
export const estimateTokens = (text: string): number => Math.ceil(Buffer.byteLength(text, 'utf8') / 3) + 8;

/** Thrown when a request was cancelled (the signal), so the chain does not try the next provider. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}
