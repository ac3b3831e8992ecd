import { z } from 'zod';

export const llmProviderSchema = z.enum(['local', 'remote']);

export const llmSection = z
  .strictObject({
    model_path: z.string().optional().describe('A GGUF model file; no local language model unless set (`hearth model pull` writes into <data>/models).'),
    threads: z.number().int().min(1).optional().describe('CPU threads for inference; default: the number of cores.'),
    order: z
      .array(llmProviderSchema)
      .max(2)
      .default(['local'])
      .refine((o) => new Set(o).size === o.length, { message: 'each provider at most once' })
      .describe('Providers tried in turn; `remote` sends text to llm.remote_url, so nothing leaves the box unless it is listed.'),
    remote_url: z
      .string()
      .url()
      .optional()
      .describe(
        'Base URL of an OpenAI-compatible server (Ollama, llama.cpp server, a cloud endpoint), e.g. http://nas.lan:11434/v1; the hub posts to <url>/chat/completions.',
      ),
    remote_model: z.string().min(1).max(200).optional().describe('The model name the remote server expects.'),
    remote_api_key: z.string().min(1).max(500).optional().describe('Bearer key for the remote server, if it needs one.').meta({ secret: true }),
    context_size: z.number().int().min(256).max(32_768).default(2048).describe('Tokens of context the local model keeps (prompt and answer).'),
    timeout_s: z.number().min(0.5).max(300).default(30).describe('How long one provider may take before the next is tried.'),
    max_output_tokens: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .default(256)
      .describe('The most tokens one answer may have (reserved against the budget before asking).'),
    idle_unload_s: z.number().int().min(10).max(86_400).default(600).describe('The local model is unloaded after this long unused.'),
    min_free_memory_mb: z
      .number()
      .int()
      .min(0)
      .max(65_536)
      .default(256)
      .describe('The local model is unloaded (or not loaded) when less memory than this would be left.'),
    min_confidence: z.number().min(0).max(1).default(0.6).describe("Below this confidence the model's reading becomes a clarifying question."),
  })
  .describe('The language model: a local GGUF file and/or a remote OpenAI-compatible server. It only proposes intents; the action gate decides.');
export type LlmSettings = z.infer<typeof llmSection>;
