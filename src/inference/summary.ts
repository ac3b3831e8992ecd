import { z } from 'zod';
import type { Envelope } from '../gate/model.js';
import type { LlmChain } from './chain.js';
import { DATA_RULE, dataBlock, quote } from './prompt.js';

/**
 * Summaries in one sentence with a token budget: the morning brief, what an elder said on a
 * check-in call, the story of an approval. The facts come from the trail and the registry;
 * the model only words them, and its sentence is dropped for the template when it names a
 * number the facts do not have or is not one short sentence. No model → the template.
 */

export interface SummaryRequest {
  /** Plain facts, one per item, from the trail or the registry (untrusted text inside is quoted). */
  facts: string[];
  /** The sentence used when there is no model or its answer is refused. */
  template: string;
  /** Whose budget pays; `system` for the hub's own. */
  member_id?: string;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface Summary {
  text: string;
  by: 'model' | 'template';
}

const MAX_SENTENCE = 240;
const answerSchema = z.strictObject({ sentence: z.string().min(3).max(MAX_SENTENCE) });
const ANSWER_JSON = {
  type: 'object',
  properties: { sentence: { type: 'string', maxLength: MAX_SENTENCE } },
  required: ['sentence'],
  additionalProperties: false,
};

const SYSTEM = [
  'Write ONE short, plain sentence for a household member that says what the facts say.',
  'Add nothing that is not in the facts: no numbers, times, names or outcomes of your own. Answer only with JSON that follows the schema.',
  DATA_RULE,
].join('\n');

const numbersIn = (s: string): string[] => s.match(/\d+(?:[.:]\d+)?/g) ?? [];

/** Whether the sentence keeps to the facts: every number it names is in them. */
export function keepsToFacts(sentence: string, facts: readonly string[]): boolean {
  const known = new Set(facts.flatMap(numbersIn));
  return numbersIn(sentence).every((n) => known.has(n)) && !/[\n<>]/.test(sentence);
}

export class Summaries {
  constructor(
    private readonly chain: LlmChain,
    private readonly secrets: () => string[],
  ) {}

  async sentence(req: SummaryRequest): Promise<Summary> {
    const fallback: Summary = { text: req.template, by: 'template' };
    if (!this.chain.available() || req.facts.length === 0) return fallback;
    const secrets = this.secrets();
    const facts = req.facts.slice(0, 30).map((f, i) => [`fact_${i + 1}`, quote(f, 300, secrets)] as const);
    try {
      const out = await this.chain.generate({
        member_id: req.member_id ?? 'system',
        system: SYSTEM,
        data: dataBlock(Object.fromEntries(facts)),
        schema: ANSWER_JSON,
        maxTokens: req.maxTokens ?? 80,
        signal: req.signal ?? AbortSignal.timeout(60_000),
      });
      const parsed = answerSchema.safeParse(JSON.parse(out.text));
      if (!parsed.success) return fallback;
      const text = parsed.data.sentence.trim();
      return keepsToFacts(text, req.facts) ? { text, by: 'model' } : fallback;
    } catch {
      return fallback;
    }
  }

  /** The facts and the template sentence of an approval's story, from the envelope alone. */
  static envelopeFacts(env: Envelope, names: { entity: string; member: (id: string | null) => string }): { facts: string[]; template: string } {
    const who = names.member(env.origin.member_id);
    const verb = env.action.operation.replace(/_/g, ' ');
    const facts = [
      `${who} asked to ${verb} ${names.entity} (${env.risk} risk) through ${env.origin.channel}${env.origin.proposer === 'llm' ? ', as read by the language model' : ''}.`,
      ...env.decisions.map((d) => `${names.member(d.member_id)} chose ${d.decision} through ${d.channel}.`),
      `The request is ${env.state}${env.outcome ? `: ${env.outcome.message}` : ''}.`,
    ];
    const decided = env.decisions.map((d) => `${names.member(d.member_id)} ${d.decision === 'approve' ? 'approved' : 'denied'}`).join(', ');
    const template = `${who} asked to ${verb} ${names.entity}${decided ? `; ${decided}` : ''}; it is ${env.state}.`;
    return { facts, template };
  }
}
