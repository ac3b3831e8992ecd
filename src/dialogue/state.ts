import type { CommandIntent, QuestionIntent } from '../intents/index.js';
import type { Choice } from './model.js';

/** What pressing (or typing) a choice does. */
export type ChoiceAct =
  | { kind: 'intents'; intents: (CommandIntent | QuestionIntent)[]; proposer?: 'llm'; text: string }
  | { kind: 'decide'; approval_id: string; decision: 'approve' | 'deny' }
  | { kind: 'cancel' };

export interface OfferedChoice extends Choice {
  act: ChoiceAct;
}

/** What the dialogue waits for from one person on one channel. */
export type Pending = { kind: 'choices'; choices: OfferedChoice[] } | { kind: 'pin'; approval_id: string };

interface Slot {
  pending: Pending;
  expires: number;
}

/**
 * Conversation state per (member, channel): at most one thing waited for (a choice, a PIN),
 * for a few minutes. In memory, bounded (the oldest is forgotten first) and expiring: a
 * restart costs at most a repeated question, and a PIN challenge should not outlive the
 * process that asked for it.
 */
export class ConversationState {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly now: () => number,
    private readonly maxSlots = 2_000,
  ) {}

  private static key(memberId: string, channel: string): string {
    return `${memberId}\u0000${channel}`;
  }

  set(memberId: string, channel: string, pending: Pending, ttlMs: number): void {
    const key = ConversationState.key(memberId, channel);
    this.slots.delete(key);
    while (this.slots.size >= this.maxSlots) this.slots.delete(this.slots.keys().next().value!);
    this.slots.set(key, { pending, expires: this.now() + ttlMs });
  }

  /** The pending thing, taken out of the state (a turn answers it or moves on). */
  take(memberId: string, channel: string): Pending | undefined {
    const key = ConversationState.key(memberId, channel);
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    this.slots.delete(key);
    return slot.expires > this.now() ? slot.pending : undefined;
  }

  get size(): number {
    return this.slots.size;
  }
}
