import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Store } from '../../src/store/database.js';
import { devicesTables } from '../../src/devices/index.js';
import { SqlitePersistence } from '../../src/devices/mqtt/persistence.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/hub.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function open(limits: Partial<ConstructorParameters<typeof SqlitePersistence>[2]> = {}): { store: Store; persistence: SqlitePersistence } {
  const dir = tempDir();
  const store = Store.open({ dataDir: dir, log: silentLogger(), parts: [devicesTables] });
  cleanup.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const persistence = new SqlitePersistence(store.telemetry, silentLogger(), { maxRetained: 100, maxRetainedBytes: 1024, maxQueuedPerClient: 5, ...limits });
  return { store, persistence };
}

async function queuedFor(p: SqlitePersistence, clientId: string): Promise<number> {
  let n = 0;
  for await (const _ of (p as unknown as { outgoingStream(c: { id: string }): AsyncIterable<unknown> }).outgoingStream({ id: clientId })) n++;
  return n;
}

describe('broker persistence bounds', () => {
  it('keeps at most maxQueuedPerClient messages for an offline session: the newest, oldest dropped first', async () => {
    const { store, persistence } = open();
    await persistence.setup({ id: 'broker' });
    for (let i = 0; i < 50; i++) {
      const packet = { cmd: 'publish', topic: 'q/x', payload: Buffer.from(String(i)), qos: 1 as const, retain: false, brokerId: 'broker', brokerCounter: i };
      if (i % 2) await persistence.outgoingEnqueue({ clientId: 'gone' }, packet);
      else await persistence.outgoingEnqueueCombi([{ clientId: 'gone' }], packet);
    }
    expect(await queuedFor(persistence, 'gone')).toBe(5);
    const kept: string[] = [];
    for await (const p of (persistence as unknown as { outgoingStream(c: { id: string }): AsyncIterable<{ payload: Buffer }> }).outgoingStream({ id: 'gone' }))
      kept.push(p.payload.toString());
    expect(kept).toEqual(['45', '46', '47', '48', '49']);
    expect((store.telemetry.prepare('SELECT COUNT(*) AS n FROM mqtt_outgoing').get() as { n: number }).n).toBe(5);
  });

  it('bounds the bytes of all retained messages together, not only their count and each size', async () => {
    const { store, persistence } = open({ maxRetainedBytes: 1000, maxRetainedTotalBytes: 2500 });
    await persistence.setup({ id: 'broker' });
    const put = (topic: string, size: number) => persistence.storeRetained({ cmd: 'publish', topic, payload: Buffer.alloc(size, 1), qos: 0, retain: true });
    for (let i = 0; i < 10; i++) await put(`r/${i}`, 900);
    const count = () => (store.telemetry.prepare('SELECT COUNT(*) AS n FROM mqtt_retained').get() as { n: number }).n;
    expect(count()).toBe(2);
    // Replacing one with a smaller payload and removing one make room again.
    await put('r/0', 10);
    await put('r/1', 0);
    await put('r/9', 900);
    expect(persistence.retainedPayload('r/9')?.length).toBe(900);
    expect(count()).toBe(2);
  });

  it('refuses a new persistent session beyond maxSessions (sessions never expire in MQTT 3.1.1)', async () => {
    const { store, persistence } = open({ maxSessions: 3 });
    await persistence.setup({ id: 'broker' });
    const sub = [{ topic: 'a/#', qos: 1 as const }];
    for (const id of ['s1', 's2', 's3']) await persistence.addSubscriptions({ id }, sub);
    await expect(persistence.addSubscriptions({ id: 'random-4' }, sub)).rejects.toThrow(/too many persistent sessions/);
    await persistence.addSubscriptions({ id: 's1' }, [{ topic: 'b/#', qos: 1 }]); // a known session may still subscribe
    await persistence.cleanSubscriptions({ id: 's2' });
    await persistence.addSubscriptions({ id: 'random-5' }, sub);
    const ids = (store.telemetry.prepare('SELECT DISTINCT client_id FROM mqtt_subscriptions ORDER BY client_id').all() as { client_id: string }[]).map(
      (r) => r.client_id,
    );
    expect(ids).toEqual(['random-5', 's1', 's3']);
  });

  it('does not rewrite an unchanged retained message to disk (devices republish them all the time)', async () => {
    const { store, persistence } = open();
    await persistence.setup({ id: 'broker' });
    const put = (payload: string, qos: 0 | 1 = 0) =>
      persistence.storeRetained({ cmd: 'publish', topic: 'homeassistant/light/x/config', payload: Buffer.from(payload), qos, retain: true });
    const writes = () => (store.telemetry.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    await put('{"name":"x"}');
    const before = writes();
    for (let i = 0; i < 20; i++) await put('{"name":"x"}');
    expect(writes()).toBe(before);
    await put('{"name":"y"}');
    await put('{"name":"y"}', 1);
    expect(writes()).toBe(before + 2);
    expect(persistence.retainedPayload('homeassistant/light/x/config')?.toString()).toBe('{"name":"y"}');
    const matched = ((await persistence.retained('homeassistant/#')) as { payload: Buffer }[])[0]!.payload;
    expect(matched.toString()).toBe('{"name":"y"}');
  });
});
