import { z } from 'zod';
import { domainSchema } from '../devices/model.js';

/**
 * What a person meant, as data. The rule parser produces it today; a language model will
 * later be asked for the same JSON (this schema is its output contract), and the same code
 * downstream judges either. A command never acts by itself: it becomes a gate request.
 */
const entityIds = z
  .array(z.string().regex(/^[a-z_]+\.[a-z0-9_]+$/))
  .min(1)
  .max(50);

export const commandIntentSchema = z.strictObject({
  kind: z.literal('command'),
  entity_ids: entityIds.describe('every entity the command applies to'),
  operation: z.string().min(1).max(64).describe('a domain operation, such as turn_off, unlock, close_cover, set_temperature'),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

export const questionIntentSchema = z
  .strictObject({
    kind: z.literal('question'),
    entity_ids: entityIds.optional(),
    domain: domainSchema.optional().describe('when the question is about a whole domain ("which lights are on?")'),
    about: z.enum(['state', 'temperature']).describe('what is asked: the state, or a temperature reading'),
    expect: z.string().max(32).optional().describe('for yes/no questions: the state asked about (open, locked, on, armed, motion)'),
    quantifier: z.enum(['each', 'all', 'any', 'which']).default('each'),
  })
  .refine((q) => q.entity_ids !== undefined || q.domain !== undefined, { message: 'a question names entity_ids or a domain' });

export const clarifyIntentSchema = z.strictObject({
  kind: z.literal('clarify'),
  question: z.string().min(1).max(300),
  candidates: z.array(z.strictObject({ entity_id: z.string(), name: z.string() })).max(20),
  operation: z.string().optional().describe('the action that waits for the answer (on, off, open, close, lock, unlock, ...), if any'),
});

export const unknownIntentSchema = z.strictObject({
  kind: z.literal('unknown'),
  reason: z.string().max(300).optional(),
});

export const intentSchema = z.discriminatedUnion('kind', [commandIntentSchema, questionIntentSchema, clarifyIntentSchema, unknownIntentSchema]);

export type Intent = z.infer<typeof intentSchema>;
export type CommandIntent = z.infer<typeof commandIntentSchema>;
export type QuestionIntent = z.infer<typeof questionIntentSchema>;
export type ClarifyIntent = z.infer<typeof clarifyIntentSchema>;
export type IntentKind = Intent['kind'];
