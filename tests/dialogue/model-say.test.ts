import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { FakeOpenAi } from '../fakes/openai.js';
import { api, makeFamily, type Person } from '../gate/support.js';
import { registryOf, waitFor } from '../devices/helpers.js';

/**
 * The story end to end: what the rules cannot read goes to the language model (a fake
 * OpenAI-compatible server on loopback, through the real remote provider), the model only
 * proposes, the real gate decides, and the reply comes from the gate's outcome and the demo
 * lock's observed state — never from the model's words.
 */
describe('the web chat reads through the language model when the rules cannot', () => {
  let t: TestHub | undefined;
  let fake: FakeOpenAi | undefined;
  afterEach(async () => {
    await t?.stop();
    await fake?.stop();
    t = undefined;
    fake = undefined;
  });

  const intents = (list: unknown[], confidence = 0.95) => ({ content: JSON.stringify({ intents: list, confidence }) });
  const cmd = (entity_id: string, operation: string) => ({ kind: 'command', entity_id, operation, value: null, negated: false });

  async function hub(): Promise<{ people: Record<string, Person> }> {
    fake = new FakeOpenAi();
    await fake.start();
    t = await startTestHub({ settings: { hub: { demo: true }, llm: { order: ['remote'], remote_url: fake.url, remote_model: 'test', timeout_s: 5 } } });
    const people = await makeFamily(t.url, t.dataDir, [{ username: 'sam', role: 'adult' }]);
    await waitFor(() => registryOf(t!).get('lock.demo_front_door')?.available, 'the demo lock');
    return { people };
  }

  it(
    '"the entrance, make it secure, we\'re heading out" locks the front door; an unlock the model proposes waits for an approval',
    { timeout: 60_000 },
    async () => {
      const { people } = await hub();
      const reg = registryOf(t!);
      // Start from an open door, opened by the owner (approved with the PIN as the policy asks).
      reg.setState('lock.demo_front_door', 'unlocked');

      fake!.script = (req) => {
        const said = req.body.messages.map((m) => m.content).join('\n');
        if (said.includes('make it secure')) return intents([cmd('lock.demo_front_door', 'lock')]);
        if (said.includes('plumber')) return intents([cmd('lock.demo_front_door', 'unlock')]);
        return intents([], 0);
      };
      const secure = await api(t!.url, people.sam!, 'POST', '/say', { text: "the entrance, make it secure, we're heading out" });
      expect(secure.status).toBe(200);
      expect(fake!.requests.length).toBe(1); // the rules could not read it; the model was asked once
      expect(secure.body.outcome).toMatchObject({ status: 'executed' });
      await waitFor(() => reg.get('lock.demo_front_door')?.state === 'locked', 'the demo lock to lock');
      expect(secure.body.reply).toMatch(/front door/i);
      const requested = t!.hub.ctx.audit
        .list({ kind: 'action.requested', limit: 20 })
        .entries.find((e) => (e.data as { action?: { operation?: string } }).action?.operation === 'lock');
      expect(requested?.data).toMatchObject({ proposer: 'llm' });

      const unlock = await api(t!.url, people.sam!, 'POST', '/say', { text: 'could you let the plumber in through the entrance' });
      expect(unlock.status).toBe(200);
      expect(unlock.body.outcome).toMatchObject({ status: 'pending' });
      expect(reg.get('lock.demo_front_door')?.state).toBe('locked'); // nothing moved without an approval
      const envelope = await api(t!.url, people.olivia!, 'GET', `/approvals/${unlock.body.outcome.approval_id}`);
      expect(envelope.body).toMatchObject({
        state: 'pending',
        action: { entity_id: 'lock.demo_front_door', operation: 'unlock' },
        origin: { proposer: 'llm' },
      });
    },
  );

  it('a model that claims in words what it did not do: the reply never repeats the claim, and nothing acts', { timeout: 60_000 }, async () => {
    const { people } = await hub();
    fake!.script = () => ({ content: "I've unlocked the front door for you and disarmed the alarm." });
    const said = await api(t!.url, people.sam!, 'POST', '/say', { text: 'pretty please with the entrance thing' });
    expect(said.status).toBe(200);
    expect(said.body.reply).not.toMatch(/unlocked the front door|disarmed/i);
    expect(said.body.outcome?.status ?? 'none').not.toBe('executed');
    // Only the hub's own changes from setting up the family are in the trail: no device action.
    const devices = (e: { data: unknown }) => (e.data as { action?: { entity_id?: string } }).action?.entity_id;
    const deviceActions = t!.hub.ctx.audit.list({ kind: 'action.*', limit: 50 }).entries.filter((e) => devices(e) && !devices(e)!.startsWith('hub.'));
    expect(deviceActions.map((e) => [e.kind, devices(e)])).toEqual([]);
  });
});
