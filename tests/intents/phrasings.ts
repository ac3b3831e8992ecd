// The corpus lives in src/intents/phrasings.ts (data) so that bench/intents.bench.mjs can load it from dist/.
export { PHRASINGS, DEMO_ENTITIES, type Phrasing } from '../../src/intents/phrasings.js';
