import type { Entity } from '../devices/model.js';
import { HearthError } from '../core/errors.js';
import type { IntentResolver, ResolveInput, ResolvedIntents } from '../intents/resolver.js';
import { intentSchema, type Intent } from '../intents/schema.js';
import { answerJsonSchema, answerValidator, MAX_ENTITIES, NUMERIC_PARAM, type ModelAnswer } from './intent-schema.js';
import { isNegated } from './negation.js';
import { DATA_RULE, dataBlock, quote } from './prompt.js';
import type { LlmChain } from './chain.js';

export const MAX_MESSAGE_CHARS = 300;
const MAX_NAME_CHARS = 60;

const SYSTEM = [
  'You read one message that a member of a household sent to their home hub, and say which device commands or questions it contains.',
  'Answer only with JSON that follows the schema. Use only entity ids from the entity list. One item per command, in the order asked.',
  'If the message says NOT to do something, set "negated": true for that item. If you are unsure, give a low confidence.',
  'You cannot act: the hub checks every command and may ask someone to approve it.',
  DATA_RULE,
].join('\n');

/** The entity list as data: ids are registry-checked, names and aliases are quoted and cut. */
function entityLines(entities: readonly Entity[], secrets: readonly string[]): string {
  return entities
    .slice(0, MAX_ENTITIES)
    .map((e) => {
      const aliases = e.aliases
        .slice(0, 5)
        .map((a) => quote(a, MAX_NAME_CHARS, secrets))
        .join(', ');
      return `- ${e.id} name=${quote(e.name, MAX_NAME_CHARS, secrets)}${aliases ? ` aliases=[${aliases}]` : ''}${e.area ? ` area=${quote(e.area, MAX_NAME_CHARS, secrets)}` : ''}`;
    })
    .join('\n');
}

export function intentPrompt(input: Pick<ResolveInput, 'text' | 'entities'>, secrets: readonly string[]): { system: string; data: string } {
  return {
    system: SYSTEM,
    data: dataBlock({ message: quote(input.text, MAX_MESSAGE_CHARS, secrets), entities: `\n${entityLines(input.entities, secrets)}` }),
  };
}

/** Parses and validates the model's text; undefined when it is not a valid answer. */
export function parseAnswer(text: string, entities: readonly Entity[]): ModelAnswer | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = answerValidator(entities).safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The model's answer as the intents the rules produce, negations refused in code. */
export function toIntents(answer: ModelAnswer, text: string, entities: readonly Entity[]): Intent[] {
  const byId = new Map(entities.map((e) => [e.id, e]));
  const out: Intent[] = [];
  const refused: Entity[] = [];
  for (const item of answer.intents) {
    const entity = byId.get(item.entity_id)!;
    if (item.kind === 'question') {
      out.push(intentSchema.parse({ kind: 'question', entity_ids: [entity.id], about: item.about }));
      continue;
    }
    if (item.negated || isNegated(text, entity, item.operation)) {
      refused.push(entity);
      continue;
    }
    const param = NUMERIC_PARAM[item.operation];
    out.push(
      intentSchema.parse({
        kind: 'command',
        entity_ids: [entity.id],
        operation: item.operation,
        params: param && item.value !== null ? { [param]: item.value } : {},
      }),
    );
  }
  if (refused.length > 0) {
    out.push(
      intentSchema.parse({
        kind: 'clarify',
        question: `You said not to do something with ${refused.map((e) => e.name).join(' and ')}, so I left ${refused.length > 1 ? 'them' : 'it'} alone. What would you like me to do?`,
        candidates: refused.map((e) => ({ entity_id: e.id, name: e.name })),
      }),
    );
  }
  return out;
}

/** A low-confidence reading becomes a question naming what the model thought, never an action. */
function unsure(intents: Intent[], entities: readonly Entity[]): Intent {
  const byId = new Map(entities.map((e) => [e.id, e]));
  const commands = intents.filter((i): i is Extract<Intent, { kind: 'command' }> => i.kind === 'command');
  const guess = commands.map((c) => `${c.operation.replace(/_/g, ' ')} ${c.entity_ids.map((id) => byId.get(id)?.name ?? id).join(', ')}`).join(', then ');
  const ids = [...new Set(commands.flatMap((c) => c.entity_ids))];
  return intentSchema.parse({
    kind: 'clarify',
    question: `I am not sure I understood. Did you mean: ${guess}?`.slice(0, 300),
    candidates: ids.slice(0, 20).map((id) => ({ entity_id: id, name: byId.get(id)?.name ?? id })),
    operation: commands.length === 1 ? commands[0]!.operation : undefined,
  });
}

/**
 * The dialogue's second reader: asks the provider chain for intents when the rules give up.
 * It only proposes: the dialogue sends each command to the gate with `proposer: 'llm'`.
 */
export class LlmIntentResolver implements IntentResolver {
  readonly name = 'llm';

  constructor(
    private readonly chain: LlmChain,
    private readonly secrets: () => string[],
    private readonly minConfidence: () => number = () => 0.6,
  ) {}

  async resolve(input: ResolveInput): Promise<ResolvedIntents> {
    const entities = input.entities.slice(0, MAX_ENTITIES);
    const { system, data } = intentPrompt({ text: input.text, entities }, this.secrets());
    let result;
    try {
      result = await this.chain.generate({ member_id: input.member.id, system, data, schema: answerJsonSchema(entities), signal: input.signal });
    } catch (err) {
      if (err instanceof HearthError && err.code === 'USAGE_CAP_REACHED') {
        return {
          intents: [{ kind: 'unknown', reason: "This month's allowance for the language model is used up, so I only understand the usual commands." }],
          confidence: 0,
        };
      }
      if (err instanceof HearthError && err.code === 'LLM_UNAVAILABLE') {
        return {
          intents: [{ kind: 'unknown', reason: 'The language model is not available just now, so I only understand the usual commands.' }],
          confidence: 0,
        };
      }
      return { intents: [], confidence: 0 };
    }
    const answer = parseAnswer(result.text, entities);
    if (!answer) return { intents: [], confidence: 0, provider: result.provider };
    const intents = toIntents(answer, input.text, entities);
    if (answer.confidence < this.minConfidence() && intents.some((i) => i.kind === 'command')) {
      return { intents: [unsure(intents, entities)], confidence: answer.confidence, provider: result.provider };
    }
    return { intents, confidence: answer.confidence, provider: result.provider };
  }
}
