import { fsync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { commitsFor } from '../../src/store/commits.js';
import type { ActionGate } from '../../src/gate/gate.js';
import type { OutgoingMessage } from '../../src/notify/model.js';
import type { NotificationRouter } from '../../src/notify/router.js';
import type { TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/mosquitto.js';
import { startGateHub, type Person, type TestAdapter } from '../gate/support.js';

/**
 * The router's writes for the gate's approval events join the turn's group commit, whose fsync
 * runs off the event loop. A message must still never leave before its rows are on disk: a
 * power cut could otherwise lose a request someone already has on their phone, or send it twice.
 * The test holds the disk's answer (the group commit's fsync) and lets it go one call at a time.
 */
let t: TestHub | undefined;
let gate: ActionGate | undefined;
let adapter: TestAdapter | undefined;
afterEach(async () => {
  await gate?.stop();
  adapter?.stop();
  await t?.stop();
  t = gate = adapter = undefined;
});

/** fsyncs of the group commit, held until the test lets them go. */
class HeldDisk {
  readonly waiting: { fd: number; done: (err: NodeJS.ErrnoException | null) => void }[] = [];
  calls = 0;
  releaseAll(): void {
    for (const w of this.waiting.splice(0)) fsync(w.fd, w.done);
  }
}

async function setUp(): Promise<{ router: NotificationRouter; people: Record<string, Person>; sent: OutgoingMessage[]; disk: HeldDisk }> {
  let people: Record<string, Person>;
  ({ t, gate, adapter, people } = await startGateHub<TestAdapter>({
    others: [
      { username: 'adam', role: 'adult' },
      { username: 'owen', role: 'owner' },
    ],
  }));
  const router = t.hub.services.get<NotificationRouter>('notify')!;
  // A phone at the edge: every message it is handed, in order.
  const sent: OutgoingMessage[] = [];
  router.registerChannel({ name: 'phone', canReach: () => true, send: async (m) => (sent.push(m), { message_ref: `m${sent.length}` }) });
  for (const p of Object.values(people)) router.preferences.set(p.id, { channels: ['phone'] });
  const disk = new HeldDisk();
  commitsFor(t.hub.ctx.store.db).useFileSync((fd, done) => {
    disk.calls++;
    disk.waiting.push({ fd, done });
  });
  return { router, people, sent, disk };
}

describe('a notification and its outbox rows', () => {
  it('an approval request reaches the approver only after its rows are on disk', async () => {
    const { router, people, sent, disk } = await setUp();
    const asked = gate!.request({ action: { entity_id: 'lock.front_door', operation: 'unlock' }, origin: { member_id: people.adam!.id, channel: 'web' } });
    // The gate's own entry first: its commit waits for the disk.
    await waitFor(() => disk.waiting.length === 1 || undefined, "the request entry's fsync");
    disk.releaseAll();
    const out = await asked;
    if (out.status !== 'pending') throw new Error(`expected an envelope, got ${out.status}`);
    // The router's rows are committed (the hub can read them) while their fsync is still out.
    const request = await waitFor(() => router.list().find((n) => n.subject === out.approval_id), 'the request notification, committed');
    const owners = [people.olivia!.id, people.owen!.id].sort();
    expect(request.deliveries.map((d) => d.member_id).sort()).toEqual(owners);
    // A pump pass sees them, but claims them (`sending`) in a commit of its own, which comes after
    // the rows' fsync and waits for the disk too.
    const pass = router.tick();
    expect(sent).toEqual([]);
    disk.releaseAll();
    await waitFor(() => router.get(request.id)!.deliveries.every((d) => d.status === 'sending') || undefined, 'the deliveries claimed, committed');
    expect(disk.waiting.length).toBeGreaterThan(0);
    expect(sent).toEqual([]);
    disk.releaseAll();
    await waitFor(() => sent.filter((m) => m.notification_id === request.id).length === 2 || undefined, 'the request on both owners’ phones');
    disk.releaseAll();
    await pass;
    disk.releaseAll();
    expect(sent.map((m) => m.member.id).sort()).toEqual(owners);
    expect(sent[0]!.text).toMatch(/^adam asks to unlock/);
    await waitFor(() => router.get(request.id)!.deliveries.every((d) => d.status === 'delivered') || undefined, 'both recorded as delivered', 15_000, 20);
  });

  it('the disk fails the fsync of the claim: the message is not sent on it, and goes once a later commit is on disk', async () => {
    const { router, people, sent } = await setUp();
    const db = t!.hub.ctx.store.db;
    let failNext = true;
    commitsFor(db).useFileSync((fd, done) => {
      if (!failNext) return fsync(fd, done);
      failNext = false;
      setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
    });
    // Written with a synchronous commit (durable), so only the claim meets the failing disk.
    const { id } = router.notify({ kind: 'brief.test', text: 'the door is open', audience: { members: [people.owen!.id] } });
    await router.tick(); // the claim's commit fails: nothing is sent, the pass says why in the log
    expect(sent).toEqual([]);
    expect(router.get(id)!.deliveries[0]).toMatchObject({ status: 'queued', attempts: 1 });
    await router.tick(); // group commits are synchronous FULL commits from now on
    await waitFor(() => sent.find((m) => m.notification_id === id), 'the message, sent once');
    expect(sent).toHaveLength(1);
    expect(t!.logs.raw.some((l) => l.includes('notification pump failed') && l.includes('EIO'))).toBe(true);
  });

  it('two messages with the same dedup key in one turn of the group commit: one notification, counted twice', async () => {
    const { router, people, sent, disk } = await setUp();
    disk.releaseAll();
    commitsFor(t!.hub.ctx.store.db).useFileSync(fsync);
    const input = { kind: 'alert.test', text: 'The garage is open.', dedup_key: 'garage', audience: { members: [people.owen!.id] } };
    const [a, b] = await Promise.all([router.notifyLater(input), router.notifyLater({ ...input, text: 'The garage is still open.' })]);
    expect(a).toMatchObject({ deduplicated: false });
    expect(b).toEqual({ id: a.id, deduplicated: true, recipients: [] });
    await waitFor(() => sent.find((m) => m.notification_id === a.id), 'the message');
    expect(router.list().filter((n) => n.kind === 'alert.test')).toHaveLength(1);
    expect(router.get(a.id)).toMatchObject({ count: 2 });
  });
});
