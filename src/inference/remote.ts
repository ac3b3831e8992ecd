import { z } from 'zod';
import type { ComponentHealth } from '../core/lifecycle.js';
import { errorMessage } from '../core/errors.js';
import type { LlmSettings } from '../config/sections/llm.js';
import { CancelledError, estimateTokens, type GenerateRequest, type GenerateResult, type LlmProvider } from './provider.js';
import { inferenceErrors } from './errors.js';

/** The part of an OpenAI-compatible chat completion Hearth reads. */
const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z
    .object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) })
    .partial()
    .optional(),
});

/**
 * Any OpenAI-compatible server: `POST {llm.remote_url}/chat/completions` with structured output
 * (`response_format: json_schema`), such as Ollama or llama.cpp's server on the LAN. The key is
 * sent as a bearer token and never logged; TLS is verified as Node verifies it.
 */
export class RemoteProvider implements LlmProvider {
  readonly name = 'remote' as const;
  private last?: { ok: boolean; at: number; detail: string };

  constructor(private readonly settings: () => LlmSettings) {}

  configured(): boolean {
    const s = this.settings();
    return Boolean(s.remote_url && s.remote_model);
  }

  health(): ComponentHealth {
    if (!this.configured()) return { status: 'disabled', detail: 'no server (llm.remote_url, llm.remote_model)' };
    if (!this.last) return { status: 'ok', detail: 'not asked yet' };
    return { status: this.last.ok ? 'ok' : 'degraded', detail: this.last.detail };
  }

  async countTokens(text: string): Promise<number> {
    return estimateTokens(text);
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const s = this.settings();
    if (!s.remote_url || !s.remote_model)
      throw inferenceErrors.error('LLM_NOT_CONFIGURED', 'no remote language model is set (llm.remote_url, llm.remote_model)');
    const body = {
      model: s.remote_model,
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content: req.data },
      ],
      max_tokens: req.maxTokens,
      temperature: 0,
      stream: false,
      ...(req.schema ? { response_format: { type: 'json_schema', json_schema: { name: 'hearth_answer', strict: true, schema: req.schema } } } : {}),
    };
    const t0 = performance.now();
    try {
      const res = await fetch(`${s.remote_url.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(s.remote_api_key ? { authorization: `Bearer ${s.remote_api_key}` } : {}) },
        body: JSON.stringify(body),
        signal: req.signal,
      });
      if (!res.ok) throw inferenceErrors.error('LLM_REMOTE_FAILED', `the remote model answered HTTP ${res.status}`);
      const parsed = completionSchema.safeParse(await res.json());
      if (!parsed.success) throw inferenceErrors.error('LLM_REMOTE_FAILED', 'the remote model sent an answer that is not a chat completion');
      const text = parsed.data.choices[0]!.message.content ?? '';
      const ms = performance.now() - t0;
      this.last = { ok: true, at: Date.now(), detail: `answered in ${Math.round(ms)} ms` };
      return {
        text,
        promptTokens: parsed.data.usage?.prompt_tokens ?? estimateTokens(req.system + req.data),
        outputTokens: parsed.data.usage?.completion_tokens ?? estimateTokens(text),
      };
    } catch (err) {
      if (req.signal.aborted) throw new CancelledError();
      this.last = { ok: false, at: Date.now(), detail: errorMessage(err) };
      throw err;
    }
  }

  async close(): Promise<void> {}
}
