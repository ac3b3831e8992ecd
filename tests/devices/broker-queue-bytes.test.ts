import { describe, expect, it } from 'vitest';
import { tempDir, type TestHub } from '../helpers/hub.js';
import { connect, hubKit, waitFor } from './helpers.js';

/**
 * Issue 10, finding 2: messages queued for offline persistent sessions are bounded in bytes, all
 * sessions together (oldest dropped first, counted in a metric), and are not all read into
 * memory at start. Real broker, real mqtt.js clients, a real restart on the same data directory.
 */
const { hub, stop, clients } = hubKit({ allow_anonymous: true });

const BOUND = 196_608;
const N = 20;
const PAD = 'x'.repeat(16 * 1024);

const queued = (t: TestHub) =>
  t.hub.ctx.store.telemetry
    .prepare('SELECT client_id, COUNT(*) AS n, SUM(length(CAST(packet AS BLOB))) AS bytes FROM mqtt_outgoing GROUP BY client_id ORDER BY client_id')
    .all() as {
    client_id: string;
    n: number;
    bytes: number;
  }[];

async function metric(t: TestHub, line: RegExp): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const m = line.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

describe('offline session queues, bounded in bytes', () => {
  it('keeps the newest messages within mqtt.max_queued_bytes across a restart, drops the oldest, and counts them', async () => {
    const dir = tempDir();
    const t1 = await hub({ max_queued_bytes: BOUND }, dir);
    for (const id of ['sleepy-1', 'sleepy-2']) {
      const s = await connect(t1, { clientId: id, clean: false });
      await s.subscribeAsync('big/#', { qos: 1 });
      await s.endAsync();
    }
    const sender = await connect(t1, { clientId: 'sender' });
    clients.push(sender);
    for (let i = 0; i < N; i++) await sender.publishAsync(`big/${i}`, `${i}:${PAD}`, { qos: 1 });

    const before = queued(t1);
    const kept = before.reduce((a, r) => a + r.n, 0);
    expect(before.reduce((a, r) => a + r.bytes, 0)).toBeLessThanOrEqual(BOUND);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(2 * N);
    expect(await metric(t1, /hearth_mqtt_queued_messages_dropped_total\{reason="total_bytes"\} (\d+)/)).toBe(2 * N - kept);
    expect(await metric(t1, /hearth_mqtt_queued_bytes (\d+)/)).toBe(before.reduce((a, r) => a + r.bytes, 0));
    await stop(t1);
    const t2 = await hub({ max_queued_bytes: BOUND }, dir);
    expect(queued(t2)).toEqual(before);
    const mine = before.find((r) => r.client_id === 'sleepy-1')!.n;
    const received: number[] = [];
    const again = await connect(t2, { clientId: 'sleepy-1', clean: false });
    clients.push(again);
    again.on('message', (_topic, payload) => received.push(Number(payload.toString('utf8').split(':', 1)[0])));
    await waitFor(() => received.length >= mine, 'the queued messages');
    // The newest ones, in order; the oldest were dropped.
    expect(received).toEqual(Array.from({ length: mine }, (_, i) => N - mine + i));
    // Acknowledged: gone from disk; the other session's queue is untouched.
    await waitFor(() => !queued(t2).some((r) => r.client_id === 'sleepy-1'), 'the acknowledged messages removed');
    expect(queued(t2)).toEqual(before.filter((r) => r.client_id !== 'sleepy-1'));
  });
});
