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
});
