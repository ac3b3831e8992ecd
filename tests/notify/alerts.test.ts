import { afterEach, describe, expect, it } from 'vitest';
import { commitsFor } from '../../src/store/commits.js';
import { addMember, pair, registryOf, startTgHub, waitMessage, type TgHub } from '../telegram/support.js';

describe('home alerts', () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('"The garage is open. [Close it]" goes through the gate and closes the demo garage; the others hear who took it', async () => {
    h = await startTgHub({ demo: true, settings: { notify: { door_open_minutes: 0.1 } } });
    const reg = registryOf(h.t);
    await h.tg.waitFor(() => reg.get('cover.demo_garage_door')?.state === 'closed' || undefined, 'the demo garage');
    const olivia = await addMember(h, 'olivia', 'owner');
    const ben = await addMember(h, 'ben', 'adult');
    const o = h.tg.user(971, 'Olivia');
    await pair(h, olivia, o);
    await pair(h, ben, h.tg.user(972, 'Ben'));
    reg.setState('cover.demo_garage_door', 'open'); // as if someone drove out and left it
    const alert = await waitMessage(h.tg, 971, /garage door has been open for/i);
    await waitMessage(h.tg, 972, /garage door has been open for/i);
    const close = alert.reply_markup!.inline_keyboard[0]!.find((b) => b.text === 'Close it')!;
    const press = h.tg.press(o, alert, close.callback_data!);
    await h.tg.waitFor(() => h!.tg.callbackAnswers.find((a) => a.callback_query_id === press), 'press answered', 15_000);
    await h.tg.waitFor(() => reg.get('cover.demo_garage_door')?.state === 'closed' || undefined, 'garage closed', 15_000);
    expect(h.t.hub.ctx.audit.list({ kind: 'action.*', limit: 50 }).entries.some((e) => e.actor === olivia.id)).toBe(true);
    await waitMessage(h.tg, 972, /Olivia took it/);
  });

  it('tells the owners when a device has been unreachable for a while, and closes the alert when it is back', async () => {
    h = await startTgHub({ settings: { notify: { unavailable_minutes: 0 } } });
    const reg = registryOf(h.t);
    reg.upsert({ id: 'light.porch', name: 'Porch light', domain: 'light', state: 'off', source: 'test' });
    const olivia = await addMember(h, 'olivia', 'owner');
    await pair(h, olivia, h.tg.user(981, 'Olivia'));
    reg.setAvailable('light.porch', false);
    await waitMessage(h.tg, 981, /Porch light is not responding/);
    reg.setAvailable('light.porch', true);
    await h.tg.waitFor(() => h!.router.list().find((n) => n.kind === 'alert.device_unavailable' && n.state === 'closed'), 'alert closed');
  });

  it('forty devices gone and back at once (a Zigbee coordinator restarting): forty alerts and forty closes in a few commits, not eighty', async () => {
    h = await startTgHub({ settings: { notify: { unavailable_minutes: 0 } } });
    const reg = registryOf(h.t);
    const ids = Array.from({ length: 40 }, (_, i) => `light.bulb_${i}`);
    for (const id of ids) reg.upsert({ id, name: `Bulb ${id.slice(11)}`, domain: 'light', state: 'off', source: 'test' });
    const commits = commitsFor(h.t.hub.ctx.store.db).stats;
    const alerts = () => h!.router.list().filter((n) => n.kind === 'alert.device_unavailable');
    const before = commits.commits;
    for (const id of ids) reg.setAvailable(id, false);
    await h.tg.waitFor(() => alerts().length === 40 || undefined, 'forty alerts');
    const down = commits.commits - before;
    for (const id of ids) reg.setAvailable(id, true);
    await h.tg.waitFor(() => alerts().every((n) => n.state === 'closed') || undefined, 'forty closes');
    const back = commits.commits - before - down;
    // Each alert used to commit on its own, with its fsync on the event loop: 40 and 40.
    expect(down).toBeLessThanOrEqual(5);
    expect(back).toBeLessThanOrEqual(5);
    expect(
      alerts()
        .map((n) => n.text)
        .sort(),
    ).toContain('Bulb 7 is not responding.');
  });
});

describe('hub health alerts', () => {
  let h: TgHub | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('tells the owner when a component stays degraded (Home Assistant unreachable)', async () => {
    // Nothing listens on port 9: the bridge cannot connect and reports itself degraded.
    h = await startTgHub({ settings: { homeassistant: { url: 'http://127.0.0.1:9', token: 'x' }, notify: { unavailable_minutes: 0.05 } } });
    const olivia = await addMember(h, 'olivia', 'owner');
    await pair(h, olivia, h.tg.user(991, 'Olivia'));
    await waitMessage(h.tg, 991, /Hub health: homeassistant is (degraded|down)/);
  });
});
