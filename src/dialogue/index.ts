import type { HubContext } from '../part/context.js';
import type { PartInstance } from '../part/define.js';
import { Dialogue, type DialogueDeps } from './dialogue.js';
import { dialogueRoutes } from './routes.js';

export { Dialogue, MIN_CONFIDENCE, type DialogueDeps } from './dialogue.js';
export { withNumberedChoices } from './replies.js';
export { HELP } from './texts.js';
export type { DialogueReply, Choice, Turn, SayBody } from './model.js';

export interface DialoguePart extends PartInstance {
  dialogue: Dialogue;
}

/** The one conversation every channel carries: no services, a route (`POST /api/v1/say`), and the dialogue for the channels. */
export function createDialoguePart(ctx: HubContext, deps: DialogueDeps): DialoguePart {
  const dialogue = new Dialogue(ctx, deps);
  return { name: 'dialogue', routes: dialogueRoutes(ctx, dialogue, deps.members), dialogue };
}
