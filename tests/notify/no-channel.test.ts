import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import type { MembersService } from '../../src/members/service.js';
import type { NotificationRouter } from '../../src/notify/router.js';

describe('router without any channel configured', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('records a failed delivery saying why, instead of retrying for ever', async () => {
    t = await startTestHub();
    const members = t.hub.services.get<{ name: string; members: MembersService; start(): void; stop(): void }>('members')!.members;
    const router = t.hub.services.get<NotificationRouter>('notify')!;
    const anna = await members.create({ username: 'anna', display_name: 'Anna', role: 'owner' }, { id: 'system', origin: 'cli' });
    const { id } = router.notify({ kind: 'brief.test', text: 'hello', audience: { members: [anna.id] } });
    const d = router.get(id)!.deliveries;
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ status: 'failed', channel: 'none', last_error: expect.stringMatching(/no channel reaches/) });
    expect(router.outbox.pendingCount()).toBe(0);
    expect(t.hub.services.health().telegram).toMatchObject({ status: 'disabled' });
  });

  it('waits for a channel announced but not up yet only for the members that channel says it will reach', async () => {
    t = await startTestHub();
    const members = t.hub.services.get<{ name: string; members: MembersService; start(): void; stop(): void }>('members')!.members;
    const router = t.hub.services.get<NotificationRouter>('notify')!;
    const anna = await members.create({ username: 'anna', display_name: 'Anna', role: 'owner' }, { id: 'system', origin: 'cli' });
    const ben = await members.create({ username: 'ben', display_name: 'Ben', role: 'adult' }, { id: 'system', origin: 'cli' });
    // As a channel part would (a future "signal" one; sms and voice are real channels now): it
    // comes up later and will reach only members it knows (Anna, say).
    router.preferences.set(anna.id, { channels: ['signal'] });
    router.preferences.set(ben.id, { channels: ['signal'] });
    router.expectChannel({ name: 'signal', canReachLater: (m) => m.username === 'anna' });
    const { id } = router.notify({ kind: 'brief.test', text: 'hello', audience: { members: [anna.id, ben.id] } });
    const byMember = Object.fromEntries(router.get(id)!.deliveries.map((d) => [d.member_id === anna.id ? 'anna' : 'ben', d]));
    expect(byMember.anna).toMatchObject({ channel: 'signal', status: 'queued' });
    expect(byMember.ben).toMatchObject({ channel: 'none', status: 'failed', last_error: expect.stringMatching(/no channel reaches/) });
  });
});
