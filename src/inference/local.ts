import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Llama, LlamaContext, LlamaModel, LlamaContextSequence } from 'node-llama-cpp';
import type { Logger } from '../core/logger.js';
import type { ComponentHealth } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import { availableMemory } from '../core/system.js';
import type { LlmSettings } from '../config/sections/llm.js';
import { CancelledError, estimateTokens, type GenerateRequest, type GenerateResult, type LlmProvider } from './provider.js';
import { inferenceErrors } from './errors.js';

export type LocalState = 'not_loaded' | 'loading' | 'ready' | 'unloaded' | 'failed';

export interface LocalProviderOptions {
  settings: () => LlmSettings;
  log: Logger;
  /** Bytes of memory available now (the kernel's MemAvailable); injected for tests. */
  availableMemory?: () => Promise<number>;
  /** How often, while loaded, memory is checked (ms). */
  memoryCheckMs?: number;
  /** Requests waiting for the one context beyond the one running; more are refused. */
  maxQueue?: number;
}

/** Threads from the cores, never node-llama-cpp's default (which oversubscribes a small box). */
export function threadCount(configured: number | undefined): number {
  return Math.max(1, configured ?? availableParallelism());
}

type Job = { run: () => Promise<void>; signal: AbortSignal; reject: (err: unknown) => void };

/**
 * The local model: a GGUF file run by node-llama-cpp on the CPU (`gpu: false`, prebuilt binary
 * only, `build: 'never'`). Loaded on first use, unloaded after `llm.idle_unload_s` unused or
 * when free memory falls under `llm.min_free_memory_mb`. One context, one sequence, one request
 * at a time from a bounded queue; a cancelled request stops between two tokens.
 */
export class LocalProvider implements LlmProvider {
  readonly name = 'local' as const;
  private llama?: Llama;
  private model?: LlamaModel;
  private context?: LlamaContext;
  private sequence?: LlamaContextSequence;
  private loading?: Promise<void>;
  private state: LocalState = 'not_loaded';
  private lastError?: string;
  private idleTimer?: NodeJS.Timeout;
  private memoryTimer?: NodeJS.Timeout;
  private readonly queue: Job[] = [];
  private pumping?: Promise<void>;
  private readonly log: Logger;

  constructor(private readonly opts: LocalProviderOptions) {
    this.log = opts.log.child({ provider: 'local' });
  }

  private get settings(): LlmSettings {
    return this.opts.settings();
  }

  configured(): boolean {
    return Boolean(this.settings.model_path);
  }

  status(): { state: LocalState; model_path: string | null; size_bytes: number | null; error: string | null } {
    const path = this.settings.model_path ?? null;
    let size: number | null = null;
    try {
      if (path) size = statSync(path).size;
    } catch {
      size = null;
    }
    return { state: this.state, model_path: path, size_bytes: size, error: this.lastError ?? null };
  }

  health(): ComponentHealth & { state: LocalState } {
    if (!this.configured()) return { status: 'disabled', detail: 'no model file (llm.model_path)', state: this.state };
    if (this.state === 'failed') return { status: 'degraded', detail: `model could not be loaded: ${this.lastError}`, state: this.state };
    return { status: 'ok', detail: this.state.replace('_', ' '), state: this.state };
  }

  async countTokens(text: string): Promise<number> {
    return this.model ? this.model.tokenize(text).length : estimateTokens(text);
  }

  generate(req: GenerateRequest): Promise<GenerateResult> {
    if (!this.configured()) return Promise.reject(inferenceErrors.error('LLM_NOT_CONFIGURED', 'no local model file is set (llm.model_path)'));
    if (req.signal.aborted) return Promise.reject(new CancelledError());
    if (this.queue.length >= (this.opts.maxQueue ?? 8))
      return Promise.reject(inferenceErrors.error('LLM_BUSY', 'the local model has too many requests waiting'));
    return new Promise<GenerateResult>((resolve, reject) => {
      const job: Job = {
        signal: req.signal,
        reject,
        run: async () => {
          try {
            resolve(await this.run(req));
          } catch (err) {
            reject(req.signal.aborted ? new CancelledError() : err);
          }
        },
      };
      // A request cancelled while it waits leaves the queue at once.
      req.signal.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(job);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(new CancelledError());
          }
        },
        { once: true },
      );
      this.queue.push(job);
      void this.pump();
    });
  }

  private pump(): Promise<void> {
    this.pumping ??= (async () => {
      try {
        for (let job = this.queue.shift(); job; job = this.queue.shift()) await job.run();
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  private async run(req: GenerateRequest): Promise<GenerateResult> {
    this.clearIdle();
    try {
      await untilAborted(this.load(), req.signal);
      const { LlamaChatSession } = await import('node-llama-cpp');
      const llama = this.llama!,
        model = this.model!,
        sequence = this.sequence!;
      const grammar = req.schema ? await llama.createGrammarForJsonSchema(toGbnfSchema(req.schema) as never) : undefined;
      const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: req.system, autoDisposeSequence: false });
      const t0 = performance.now();
      let firstTokenMs: number | undefined;
      try {
        const text = await session.prompt(req.data, {
          grammar,
          maxTokens: req.maxTokens,
          signal: req.signal,
          temperature: 0,
          onTextChunk: () => {
            firstTokenMs ??= performance.now() - t0;
          },
        });
        return { text, promptTokens: model.tokenize(req.system + req.data).length, outputTokens: model.tokenize(text).length, firstTokenMs };
      } finally {
        session.dispose({ disposeSequence: false });
        await sequence.clearHistory();
      }
    } finally {
      this.armIdle();
    }
  }

  /** Loads the model once; concurrent callers share the one load. */
  private async load(): Promise<void> {
    if (this.state === 'ready') return;
    this.loading ??= this.doLoad().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async doLoad(): Promise<void> {
    const s = this.settings;
    const path = s.model_path!;
    this.state = 'loading';
    try {
      const size = statSync(path).size;
      checkGgufHeader(path);
      const available = await (this.opts.availableMemory ?? (() => Promise.resolve(availableMemory())))();
      const needed = size + s.min_free_memory_mb * 1024 * 1024;
      if (available < needed) {
        throw inferenceErrors.error('LLM_NO_MEMORY', `not enough free memory to load the model (${mb(available)} MB free, ${mb(needed)} MB needed)`);
      }
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      const threads = threadCount(s.threads);
      this.llama ??= await getLlama({
        gpu: false,
        build: 'never',
        skipDownload: true,
        usePrebuiltBinaries: true,
        progressLogs: false,
        maxThreads: threads,
        logLevel: LlamaLogLevel.warn,
        logger: (level, message) => this.log.debug({ level, message: message.trim() }, 'llama.cpp'),
      });
      this.model = await this.llama.loadModel({ modelPath: path, gpuLayers: 0 });
      this.context = await this.model.createContext({ contextSize: s.context_size, threads, sequences: 1 });
      this.sequence = this.context.getSequence();
      this.state = 'ready';
      this.lastError = undefined;
      this.log.info({ path, threads, size_mb: mb(size) }, 'local language model loaded');
      this.watchMemory();
    } catch (err) {
      await this.release();
      this.state = 'failed';
      this.lastError = errorMessage(err);
      this.log.warn({ err: this.lastError }, 'local language model could not be loaded');
      throw err;
    }
  }

  /** Unloads the model (the next request loads it again). Waits for the running request. */
  async unload(reason: string): Promise<void> {
    while (this.pumping) await this.pumping;
    if (this.state !== 'ready') return;
    await this.release();
    this.state = 'unloaded';
    this.log.info({ reason }, 'local language model unloaded');
  }

  private async release(): Promise<void> {
    this.clearIdle();
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    this.memoryTimer = undefined;
    const { context, model } = this;
    this.sequence = undefined;
    this.context = undefined;
    this.model = undefined;
    await context?.dispose().catch(() => undefined);
    await model?.dispose().catch(() => undefined);
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.state !== 'ready') return;
    this.idleTimer = setTimeout(() => void this.unload('idle'), this.settings.idle_unload_s * 1000);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private watchMemory(): void {
    if (this.memoryTimer) return;
    this.memoryTimer = setInterval(() => {
      void (this.opts.availableMemory ?? (() => Promise.resolve(availableMemory())))()
        .then((available) => {
          if (available < this.settings.min_free_memory_mb * 1024 * 1024) return this.unload('memory short');
        })
        .catch(() => undefined);
    }, this.opts.memoryCheckMs ?? 30_000);
    this.memoryTimer.unref();
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new CancelledError());
    await this.release();
    await this.llama?.dispose().catch(() => undefined);
    this.llama = undefined;
    if (this.state === 'ready' || this.state === 'loading') this.state = 'unloaded';
  }
}

/** Resolves with `work`, or rejects as soon as `signal` aborts (the work itself goes on). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Refuses a file that is not a GGUF v2/v3 with sane counts before node-llama-cpp reads it: its
 * reader takes an unknown version for v3 and then walks garbage counts for a very long time
 * (a truncated or wrong download must fail at once, with the reason).
 */
export function checkGgufHeader(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(24);
    const n = readSync(fd, head, 0, 24, 0);
    const bad = (why: string) => inferenceErrors.error('LLM_BAD_MODEL', `${path} is not a usable GGUF model file: ${why}`);
    if (n < 24 || head.toString('ascii', 0, 4) !== 'GGUF') throw bad('it does not start with GGUF');
    const version = head.readUInt32LE(4);
    if (version !== 2 && version !== 3) throw bad(`unknown GGUF version ${version}`);
    if (head.readBigUInt64LE(8) > 100_000n || head.readBigUInt64LE(16) > 100_000n) throw bad('its header counts are not plausible');
  } finally {
    closeSync(fd);
  }
}

/**
 * node-llama-cpp's grammar reads `oneOf` where JSON schema (and OpenAI's structured output)
 * say `anyOf`; an unknown keyword would silently allow any JSON, so it is renamed here.
 */
export function toGbnfSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGbnfSchema);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k === 'anyOf' ? 'oneOf' : k, toGbnfSchema(v)]));
}

const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
