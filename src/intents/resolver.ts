import type { Entity } from '../devices/model.js';
import type { Intent } from './schema.js';

/**
 * A second reader of plain language, asked only when the rule parser gives up (`unknown`).
 * The dialogue (src/dialogue) holds one; the language-model part (src/inference) provides it.
 * A resolver only proposes intents: what it returns is validated with `intentSchema` again
 * and every command still passes the action gate, with `proposer: 'llm'`.
 */
export interface IntentResolver {
  readonly name: string;
  resolve(input: ResolveInput): Promise<ResolvedIntents>;
}

export interface ResolveInput {
  /** What the person typed or said, as they typed it (the resolver quotes it as data). */
  text: string;
  /** Who is asking; never their secrets. */
  member: { id: string; role: string; display_name?: string };
  /** The entities this member may see, as the registry has them now. */
  entities: readonly Entity[];
  /** Aborted when the person gives up or the dialogue's time-out passes. */
  signal: AbortSignal;
}

/**
 * `intents`: one per clause of a compound sentence ("lock the door and turn off the lights"),
 * in order; empty when nothing could be read. `confidence` in [0, 1]: below the dialogue's
 * threshold the answer becomes a clarifying question instead of an action.
 */
export interface ResolvedIntents {
  intents: Intent[];
  confidence: number;
  /** Which provider answered (local, remote), for the trail and the health page. */
  provider?: string;
}
