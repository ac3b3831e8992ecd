import { ManualClock } from '../../src/core/clock.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../src/core/logger.js';
import { parseSettings } from '../../src/config/load.js';
import { buildRelayApp } from '../../src/relay/http.js';
import { hashPassword } from '../../src/relay/accounts.js';
import type { RelayBroker } from '../../src/relay/broker.js';

describe('relay sign-in', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('refuses an address after repeated failed sign-ins, even with the right password', async () => {
    const settings = parseSettings({
      relay: { accounts: [{ id: 'eve', name: 'Eve', role: 'engineer', password_hash: hashPassword('the right password') }] },
    }).relay;
    const broker = { hubList: () => [], chains: { headOf: () => null } } as unknown as RelayBroker;
    // A clock that stands still: the limiter refills by time, and a loaded machine is slow.
    app = await buildRelayApp(settings, broker, silentLogger(), new ManualClock(Date.now()));
    const basic = (password: string) => `Basic ${Buffer.from(`eve:${password}`).toString('base64')}`;
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      statuses.push((await app.inject({ method: 'GET', url: '/relay/v1/hubs', headers: { authorization: basic(`guess ${i}`) } })).statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    // A guess that happens to be right is refused too while the address is limited.
    expect((await app.inject({ method: 'GET', url: '/relay/v1/hubs', headers: { authorization: basic('the right password') } })).statusCode).toBe(429);
  });
});
