import { z } from 'zod';

export const llmSection = z
  .strictObject({
    model_path: z.string().optional().describe('A GGUF model file; no local language model unless set.'),
    threads: z.number().int().min(1).optional().describe('CPU threads for inference; default: the number of cores.'),
  })
  .describe('The local language model.');
