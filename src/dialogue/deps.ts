import type { EntityRegistry } from '../devices/registry.js';
import type { ActionGate } from '../gate/gate.js';
import type { IntentResolver } from '../intents/index.js';
import type { MembersService } from '../members/service.js';
import type { NotificationRouter } from '../notify/router.js';

/** What the dialogue uses of the parts below it, narrowed so the dependencies stay visible. */
export interface DialogueDeps {
  members: Pick<MembersService, 'get' | 'list' | 'hasPin'>;
  gate: Pick<ActionGate, 'request' | 'decide' | 'get' | 'list' | 'selfConfirm'>;
  registry: Pick<EntityRegistry, 'list' | 'get'>;
  router: Pick<NotificationRouter, 'list' | 'acknowledge' | 'answer' | 'outbox'>;
  /** Asked only when the rule parser gives up; none until a language model is configured. */
  resolver?: IntentResolver;
}
