import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';

describe('http.trust_proxy', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('takes the address the proxy saw, so a client cannot dodge the per-address login limit with its own X-Forwarded-For', async () => {
    t = await startTestHub({ settings: { http: { trust_proxy: true } } });
    await setupOwner(t);
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      // The client sent "1.2.3.<i>"; the proxy appended the address it saw.
      const res = await api(t, 'POST', '/auth/login', {
        body: { username: `nobody${i}`, password: 'wrong password' },
        headers: { 'x-forwarded-for': `1.2.3.${i}, 10.9.8.7` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toContain(429);
    const failed = t.hub.ctx.audit.list({ kind: 'auth.login.failed', limit: 1 }).entries[0]!;
    expect(failed.data.ip).toBe('10.9.8.7');
  });
});
