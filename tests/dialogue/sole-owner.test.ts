import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';
import { registryOf, waitFor } from '../devices/helpers.js';

/** A home with one owner opens its own front door in the chat: the owner's PIN, asked in place. */
describe('the sole owner in the chat', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('an unlock only the requester could approve asks for their PIN as the next message, then runs', { timeout: 60_000 }, async () => {
    t = await startTestHub({ settings: { hub: { demo: true } } });
    const { olivia } = await makeFamily(t.url, t.dataDir, []);
    await waitFor(() => registryOf(t!).get('lock.demo_front_door')?.state === 'locked', 'the demo lock');
    const asked = await api(t.url, olivia!, 'POST', '/say', { text: 'unlock the front door' });
    expect(asked.status).toBe(200);
    expect(asked.body.reply).toMatch(/No one else can approve this: reply with your PIN/);
    expect(asked.body.outcome).toMatchObject({ status: 'pending' });
    expect(registryOf(t).get('lock.demo_front_door')?.state).toBe('locked');

    const wrong = await api(t.url, olivia!, 'POST', '/say', { text: 'banana' });
    expect(wrong.body.reply).toMatch(/not a PIN/);
    // The challenge is spent by a non-PIN answer: asking again brings it back.
    const again = await api(t.url, olivia!, 'POST', '/say', { text: 'unlock the front door' });
    expect(again.body.reply).toMatch(/reply with your PIN/);
    const pin = await api(t.url, olivia!, 'POST', '/say', { text: '2468' });
    expect(pin.status).toBe(200);
    await waitFor(() => registryOf(t!).get('lock.demo_front_door')?.state === 'unlocked', 'the demo lock to unlock');
    const env = await api(t.url, olivia!, 'GET', `/approvals/${again.body.outcome.approval_id}`);
    expect(env.body.state).toBe('executed');
  });
});
