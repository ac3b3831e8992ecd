export * from './schema.js';
export { parseIntent, resolveClarified } from './parser.js';
export { answerQuestion, describeAction, stateWords, isInState } from './answer.js';
export { normalize, MAX_INTENT_TEXT } from './normalize.js';
export type { IntentResolver, ResolveInput, ResolvedIntents } from './resolver.js';
