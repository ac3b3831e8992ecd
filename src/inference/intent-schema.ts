import { z } from 'zod';
import type { Domain, Entity } from '../devices/model.js';
import { operationsFor } from '../devices/operations.js';

/**
 * The answer the model must give, built from the live registry: entity ids and the operations
 * each domain supports are enums, so a grammar (local) or `response_format` (remote) can only
 * produce ids that exist and operations they support. A grammar can still produce numbers such
 * as `-Infinity` or 1e308, and a remote server may ignore the schema: `answerValidator` checks
 * the answer again with zod, against the same lists.
 */

/** Operations whose one parameter is a number, and its name. */
export const NUMERIC_PARAM: Record<string, string> = {
  set_temperature: 'temperature',
  set_percentage: 'percentage',
  set_cover_position: 'position',
  set_value: 'value',
};
/** Operations that need a text parameter the model is not trusted to invent. */
const LEFT_TO_THE_UI = new Set(['select_option', 'set_hvac_mode']);

export const MAX_INTENTS = 4;
export const MAX_ENTITIES = 200;

type JsonSchema = Record<string, unknown>;

function groups(entities: readonly Entity[]): { domain: Domain; ids: string[]; ops: string[] }[] {
  const byDomain = new Map<Domain, string[]>();
  for (const e of entities.slice(0, MAX_ENTITIES)) byDomain.set(e.domain, [...(byDomain.get(e.domain) ?? []), e.id]);
  return [...byDomain].map(([domain, ids]) => ({ domain, ids, ops: operationsFor(domain).filter((o) => !LEFT_TO_THE_UI.has(o)) }));
}

/** The JSON schema of the answer for these entities. */
export function answerJsonSchema(entities: readonly Entity[]): JsonSchema {
  const g = groups(entities);
  const commands: JsonSchema[] = g
    .filter((x) => x.ops.length > 0)
    .map((x) => ({
      type: 'object',
      properties: {
        kind: { const: 'command' },
        entity_id: { enum: x.ids },
        operation: { enum: x.ops },
        value: { type: ['number', 'null'] },
        negated: { type: 'boolean' },
      },
      required: ['kind', 'entity_id', 'operation', 'value', 'negated'],
      additionalProperties: false,
    }));
  const allIds = g.flatMap((x) => x.ids);
  const question: JsonSchema = {
    type: 'object',
    properties: { kind: { const: 'question' }, entity_id: { enum: allIds.length > 0 ? allIds : ['none.none'] }, about: { enum: ['state', 'temperature'] } },
    required: ['kind', 'entity_id', 'about'],
    additionalProperties: false,
  };
  return {
    type: 'object',
    properties: {
      intents: { type: 'array', items: { anyOf: [...commands, question] }, minItems: 0, maxItems: MAX_INTENTS },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
    },
    required: ['intents', 'confidence'],
    additionalProperties: false,
  };
}

/** The zod check of an answer against the same entities (ids, supported operations, finite numbers). */
export function answerValidator(entities: readonly Entity[]) {
  const byId = new Map(entities.slice(0, MAX_ENTITIES).map((e) => [e.id, e]));
  const finite = z.number().refine(Number.isFinite, 'a finite number');
  const command = z
    .strictObject({
      kind: z.literal('command'),
      entity_id: z.string(),
      operation: z.string(),
      value: finite.nullable(),
      negated: z.boolean(),
    })
    .superRefine((c, ctx) => {
      const e = byId.get(c.entity_id);
      if (!e) return ctx.addIssue({ code: 'custom', message: `unknown entity ${c.entity_id}` });
      if (!operationsFor(e.domain).includes(c.operation) || LEFT_TO_THE_UI.has(c.operation))
        ctx.addIssue({ code: 'custom', message: `${c.entity_id} does not support ${c.operation}` });
      if (NUMERIC_PARAM[c.operation] && c.value === null) ctx.addIssue({ code: 'custom', message: `${c.operation} needs a value` });
    });
  const question = z.strictObject({
    kind: z.literal('question'),
    entity_id: z.string().refine((id) => byId.has(id), 'unknown entity'),
    about: z.enum(['state', 'temperature']),
  });
  return z.strictObject({
    intents: z.array(z.discriminatedUnion('kind', [command, question])).max(MAX_INTENTS),
    confidence: finite.min(0).max(1),
  });
}
export type ModelAnswer = z.infer<ReturnType<typeof answerValidator>>;
export type ModelCommand = Extract<ModelAnswer['intents'][number], { kind: 'command' }>;
