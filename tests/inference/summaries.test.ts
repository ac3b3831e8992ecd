import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { LlmChain } from '../../src/inference/chain.js';
import { LocalProvider } from '../../src/inference/local.js';
import { RemoteProvider } from '../../src/inference/remote.js';
import { Summaries } from '../../src/inference/summary.js';
import { llmSection } from '../../src/config/sections/llm.js';
import type { Envelope } from '../../src/gate/model.js';
import { FakeOpenAi } from '../fakes/openai.js';

/** One-line summaries: the model words the facts; a sentence that adds a number, or no model, gives the template. */
const log = pino({ level: 'silent' });
let fake: FakeOpenAi | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function summaries(withRemote: boolean) {
  fake = new FakeOpenAi();
  await fake.start();
  const s = llmSection.parse(withRemote ? { order: ['remote'], remote_url: fake.url, remote_model: 'm' } : {});
  const chain = new LlmChain({ local: new LocalProvider({ settings: () => s, log }), remote: new RemoteProvider(() => s) }, () => s, log);
  return new Summaries(chain, () => ['hunter2-secret']);
}

const envelope: Envelope = {
  id: 'apr_1',
  action: { entity_id: 'lock.front_door', operation: 'unlock', params: {} },
  origin: { member_id: 'm_adam', channel: 'telegram', proposer: 'llm' },
  risk: 'high',
  reason: null,
  policy: { quorum: 1, approver_roles: ['owner'], exclude_requester: true, step_up: true },
  created_at: '2026-12-04T07:00:00.000Z',
  expires_at: '2026-12-04T07:05:00.000Z',
  nonce: 'n',
  digest: 'd',
  state: 'executed',
  decisions: [{ member_id: 'm_olivia', decision: 'approve', channel: 'web', at: '2026-12-04T07:01:00.000Z' }],
  outcome: { code: 'EXECUTED', message: 'the lock reported unlocked', at: '2026-12-04T07:01:02.000Z' } as never,
};
const names = { entity: 'Front door', member: (id: string | null) => ({ m_adam: 'Adam', m_olivia: 'Olivia' })[id ?? ''] ?? 'someone' };

describe('summaries', () => {
  it('the story of an approval in a sentence: the model words it, the facts come from the envelope', async () => {
    const s = await summaries(true);
    const { facts, template } = Summaries.envelopeFacts(envelope, names);
    expect(template).toBe('Adam asked to unlock Front door; Olivia approved; it is executed.');
    expect(facts[0]).toContain('as read by the language model');
    fake!.script = () => ({ content: JSON.stringify({ sentence: 'Adam asked to unlock the front door and Olivia said yes; it is unlocked.' }) });
    expect(await s.sentence({ facts, template })).toEqual({ text: 'Adam asked to unlock the front door and Olivia said yes; it is unlocked.', by: 'model' });
    // A sentence with a figure the facts do not have is not trusted.
    fake!.script = () => ({ content: JSON.stringify({ sentence: 'Adam unlocked the door 3 times at 09:15.' }) });
    expect(await s.sentence({ facts, template })).toEqual({ text: template, by: 'template' });
    // Nor is an answer that is not the schema.
    fake!.script = () => ({ content: 'Done! The door is unlocked.' });
    expect((await s.sentence({ facts: [...facts, 'Olivia typed hunter2-secret into the reason by mistake.'], template })).by).toBe('template');
    // The facts went in as data, without the secret.
    expect(fake!.prompts().join('\n')).not.toContain('hunter2-secret');
  });

  it('no model set up: the template, and nothing is sent anywhere', async () => {
    const s = await summaries(false);
    expect(await s.sentence({ facts: ['Mum answered the check-in call at 10:02 and said she is fine.'], template: 'Mum answered the check-in call.' })).toEqual(
      { text: 'Mum answered the check-in call.', by: 'template' },
    );
    expect(fake!.requests).toEqual([]);
  });
});
