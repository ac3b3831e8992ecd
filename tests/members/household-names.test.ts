import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';

// A child's screens said "someone in the home" for who asked and who approved: the member list is
// for owners and adults. The session now carries everyone's name (and nothing else about them).
describe('the household’s names for every member', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('GET /auth/me gives a child everyone’s display name, without usernames, roles or phones', async () => {
    t = await startTestHub();
    const fam = await makeFamily(t.url, t.dataDir, [
      { username: 'sam', role: 'child' },
      { username: 'ann', role: 'adult' },
    ]);
    expect((await api(t.url, fam.sam!, 'GET', '/members')).status).toBe(403); // the list stays the grown-ups'
    const me = await api(t.url, fam.sam!, 'GET', '/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.household).toEqual(
      expect.arrayContaining([
        { id: fam.olivia!.id, display_name: 'Olivia' },
        { id: fam.ann!.id, display_name: 'ann' },
        { id: fam.sam!.id, display_name: 'sam' },
      ]),
    );
    expect(me.body.household).toHaveLength(3);
    for (const h of me.body.household) expect(Object.keys(h).sort()).toEqual(['display_name', 'id']);
  });
});
