import type { ActionGate } from '../../src/gate/gate.js';
import type { EntityRegistry } from '../../src/devices/registry.js';
import type { Member } from '../../src/members/model.js';
import type { MembersService } from '../../src/members/service.js';
import type { NotificationRouter } from '../../src/notify/router.js';
import type { IntentResolver, ResolveInput, ResolvedIntents } from '../../src/intents/index.js';
import { Dialogue } from '../../src/dialogue/index.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

const SYSTEM = { id: 'system', origin: 'cli' as const };

export interface DialogueHub {
  t: TestHub;
  members: MembersService;
  registry: EntityRegistry;
  gate: ActionGate;
  router: NotificationRouter;
  /** A dialogue over this hub's own members, gate, registry and router, with the resolver given. */
  dialogue(resolver?: IntentResolver): Dialogue;
  add(username: string, role: Member['role'], pin?: string): Promise<Member>;
  stop(): Promise<void>;
}

/** A real hub in this process, with the demo home, and its parts as the dialogue part gets them. */
export async function startDialogueHub(): Promise<DialogueHub> {
  const t = await startTestHub({ settings: { hub: { demo: true } } });
  const members = t.hub.services.get<{ name: string; members: MembersService; start(): void; stop(): void }>('members')!.members;
  const registry = t.hub.services.get<{ name: string; entities: EntityRegistry; start(): void; stop(): void }>('notify-alerts')!.entities;
  const gate = t.hub.services.get<ActionGate>('gate')!;
  const router = t.hub.services.get<NotificationRouter>('notify')!;
  return {
    t,
    members,
    registry,
    gate,
    router,
    dialogue: (resolver) => new Dialogue(t.hub.ctx, { members, gate, registry, router, ...(resolver ? { resolver } : {}) }),
    add: (username, role, pin) =>
      members.create({ username, display_name: username.charAt(0).toUpperCase() + username.slice(1), role, ...(pin ? { pin } : {}) } as never, SYSTEM),
    stop: () => t.stop(),
  };
}

/** A resolver at the edge: answers from a table of sentences, and remembers what it was asked. */
export class FakeResolver implements IntentResolver {
  readonly name = 'fake';
  readonly asked: ResolveInput[] = [];
  constructor(private readonly answers: Record<string, ResolvedIntents | Error>) {}

  async resolve(input: ResolveInput): Promise<ResolvedIntents> {
    this.asked.push(input);
    const a = this.answers[input.text];
    if (a instanceof Error) throw a;
    return a ?? { intents: [], confidence: 0 };
  }
}

export async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
