import { describe, expect, it } from 'vitest';
import { ConversationState } from '../../src/dialogue/state.js';

describe('conversation state', () => {
  it('keeps one pending thing per member and channel, forgets it when taken or expired, and stays bounded', () => {
    let now = 1_000;
    const s = new ConversationState(() => now, 3);
    s.set('ann', 'web', { kind: 'pin', approval_id: 'apr_1' }, 60_000);
    s.set('ann', 'telegram', { kind: 'pin', approval_id: 'apr_2' }, 60_000);
    expect(s.take('ann', 'web')).toEqual({ kind: 'pin', approval_id: 'apr_1' });
    expect(s.take('ann', 'web')).toBeUndefined();
    now += 60_001;
    expect(s.take('ann', 'telegram')).toBeUndefined();
    for (const who of ['a', 'b', 'c', 'd']) s.set(who, 'web', { kind: 'choices', choices: [] }, 60_000);
    expect(s.size).toBe(3);
    expect(s.take('a', 'web')).toBeUndefined(); // the oldest went first
    expect(s.take('d', 'web')).toEqual({ kind: 'choices', choices: [] });
  });
});
