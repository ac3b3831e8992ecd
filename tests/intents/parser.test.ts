import { describe, expect, it } from 'vitest';
import { parseIntent, intentSchema, answerQuestion, describeAction, type Intent } from '../../src/intents/index.js';
import { PHRASINGS, DEMO_ENTITIES } from './phrasings.js';
import type { Entity } from '../../src/devices/model.js';

const lookup = (id: string): Entity | undefined => DEMO_ENTITIES.find((e) => e.id === id);

describe('intent corpus', () => {
  it('has at least 100 phrasings of every kind', () => {
    expect(PHRASINGS.length).toBeGreaterThanOrEqual(100);
    for (const kind of ['command', 'question', 'clarify', 'unknown']) expect(PHRASINGS.some((p) => p.expect.kind === kind)).toBe(true);
  });

  for (const p of PHRASINGS) {
    it(`${JSON.stringify(p.text)} → ${p.expect.kind}`, () => {
      const got = parseIntent(p.text, DEMO_ENTITIES);
      // Whatever the rules produce is valid by the schema a language model will also target.
      expect(intentSchema.safeParse(got).success).toBe(true);
      expect(got.kind).toBe(p.expect.kind);
      const want = p.expect;
      if (want.kind === 'command' && got.kind === 'command') {
        expect([...got.entity_ids].sort()).toEqual([...want.entity_ids].sort());
        expect(got.operation).toBe(want.operation);
        if (want.params) expect(got.params).toEqual(want.params);
      }
      if (want.kind === 'question' && got.kind === 'question') {
        expect([...(got.entity_ids ?? [])].sort()).toEqual([...want.entity_ids].sort());
        if (want.about) expect(got.about).toBe(want.about);
        if (want.expect) expect(got.expect).toBe(want.expect);
      }
      if (want.kind === 'clarify' && got.kind === 'clarify' && want.candidates) {
        expect(got.candidates.map((c) => c.entity_id).sort()).toEqual([...want.candidates].sort());
      }
    });
  }
});

describe('intent parser', () => {
  it('uses owner-edited aliases as soon as they are in the list', () => {
    const edited = DEMO_ENTITIES.map((e) => (e.id === 'light.kitchen' ? { ...e, aliases: ['disco ball'] } : e));
    expect(parseIntent('turn on the disco ball', edited)).toEqual({ kind: 'command', entity_ids: ['light.kitchen'], operation: 'turn_on', params: {} });
  });

  it('never reads a huge text or control characters as a command', () => {
    const huge = `turn off the kitchen light ${'x'.repeat(100_000)}`;
    const got = parseIntent(huge, DEMO_ENTITIES);
    expect(intentSchema.safeParse(got).success).toBe(true);
    expect(parseIntent('\u0000\u0007', DEMO_ENTITIES).kind).toBe('unknown');
  });

  it('leaves unavailable devices out of commands', () => {
    const down = DEMO_ENTITIES.map((e) => (e.id === 'light.porch' ? { ...e, available: false, state: 'unavailable' } : e));
    expect(parseIntent('turn on the porch light', down).kind).toBe('unknown');
  });

  it('validates what a language model might produce with the same schema', () => {
    expect(intentSchema.safeParse({ kind: 'command', entity_ids: ['lock.front_door'], operation: 'unlock', params: {} }).success).toBe(true);
    expect(intentSchema.safeParse({ kind: 'command', entity_ids: [], operation: 'unlock' }).success).toBe(false);
    expect(intentSchema.safeParse({ kind: 'question', about: 'state' }).success).toBe(false);
    expect(intentSchema.safeParse({ kind: 'launch_missiles' }).success).toBe(false);
  });
});

describe('answers in plain words', () => {
  const q = (text: string): string => {
    const intent = parseIntent(text, DEMO_ENTITIES) as Intent;
    if (intent.kind !== 'question') throw new Error(`not a question: ${JSON.stringify(intent)}`);
    return answerQuestion(intent, lookup);
  };
  it('answers yes/no, all/which and temperature questions from the states', () => {
    expect(q('is the garage open?')).toBe('No, the garage door is closed.');
    expect(q('are all the doors locked?')).toBe('Yes, the front door is locked.');
    expect(q('which lights are on?')).toBe('The living room light is on.');
    expect(q('are the lights on?')).toMatch(/^No: the bedroom light is off/);
    expect(q("what's the temperature in the living room")).toBe('The living room thermostat: 19.5° (set to 20°).');
    expect(q('is the back door open?')).toBe('No, the back door is closed.');
  });
  it('describes actions for approval messages', () => {
    expect(describeAction({ entity_id: 'lock.front_door', operation: 'unlock', params: {} }, lookup('lock.front_door'))).toBe('unlock the front door');
    expect(describeAction({ entity_id: 'climate.living_room', operation: 'set_temperature', params: { temperature: 21 } }, lookup('climate.living_room'))).toBe(
      'set the living room thermostat to 21°',
    );
  });
});
