import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Store } from '../../src/store/database.js';
import { devicesTables } from '../../src/devices/index.js';
import { SqlitePersistence } from '../../src/devices/mqtt/persistence.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/hub.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function open(): { store: Store; persistence: SqlitePersistence } {
  const dir = tempDir();
  const store = Store.open({ dataDir: dir, log: silentLogger(), parts: [devicesTables] });
  cleanup.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const persistence = new SqlitePersistence(store.telemetry, silentLogger(), { maxRetained: 100, maxRetainedBytes: 1024, maxQueuedPerClient: 5 });
  return { store, persistence };
}

async function queuedInMemory(p: SqlitePersistence, clientId: string): Promise<number> {
  let n = 0;
  for await (const _ of (p as unknown as { outgoingStream(c: { id: string }): AsyncIterable<unknown> }).outgoingStream({ id: clientId })) n++;
  return n;
}

describe('broker persistence bounds', () => {
  it('keeps at most maxQueuedPerClient messages in memory for an offline session, not only on disk', async () => {
    const { store, persistence } = open();
    await persistence.setup({ id: 'broker' });
    for (let i = 0; i < 50; i++) {
      const packet = { cmd: 'publish', topic: 'q/x', payload: Buffer.from(String(i)), qos: 1 as const, retain: false, brokerId: 'broker', brokerCounter: i };
      if (i % 2) await persistence.outgoingEnqueue({ clientId: 'gone' }, packet);
      else await persistence.outgoingEnqueueCombi([{ clientId: 'gone' }], packet);
    }
    expect(await queuedInMemory(persistence, 'gone')).toBe(5);
    expect((store.telemetry.prepare('SELECT COUNT(*) AS n FROM mqtt_outgoing').get() as { n: number }).n).toBe(5);
  });
});
