import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Relay } from '../../src/relay/index.js';
import type { RelayTelephonyLink } from '../../src/checkins/relay-link.js';
import { FakeTwilio, said } from '../fakes/twilio.js';
import { FakeTelegram } from '../fakes/telegram-bot-api.js';
import { api } from '../members/helpers.js';
import { waitMessage } from '../telegram/support.js';
import { ed25519, linkSettings, relaySettings, startRelay, tmp } from '../link/helpers.js';
import { ANN, BEN, MARY, attempts, callNow, createCheckin, settle, startPhoneHub, type PhoneHub } from '../checkins/support.js';

const HUB = 'hub-t';
const ALICE = '+15550000009';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/**
 * Hybrid mode: Twilio reaches only the relay (a home has no public address). The relay checks
 * the signature, forwards each webhook over the link (real Mosquitto, TLS, ACLs) to the hub,
 * and when the hub is away answers itself, texts the family the hub synced, and hands its
 * record back when the hub returns. Twilio is the fake, driven through the twilio library.
 */
describe('Twilio webhooks through the relay (hybrid mode)', () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  let relay: Relay;
  let tw: FakeTwilio;
  let tg: FakeTelegram;
  let p: PhoneHub;
  let relayUrl: string;
  let checkinId: string;
  const users = { relay: 'relay-pw', [HUB]: 'hub-t-pw-secret' };
  const keys = ed25519();
  const clock = new ManualClock(Date.now() - 60_000);
  const link = () => linkSettings(broker, pki, HUB, users[HUB], { relay_public_key: keys.publicPem, rpc_timeout_ms: 3000 });
  const hubToRelay = (hub: PhoneHub) => hub.h.t.hub.ctx.settings.update({ twilio: { public_url: `${relayUrl}/hooks/${HUB}` } }, 'test');

  beforeAll(async () => {
    dir = tmp('hearth-relay-tel-');
    pki = makePki(join(dir, 'pki'));
    broker = await Mosquitto.start({ dir: join(dir, 'broker'), pki, users });
    tw = await new FakeTwilio().start();
    tg = await new FakeTelegram().start();
    const port = await freePort();
    relayUrl = `http://127.0.0.1:${port}`;
    const settings = relaySettings(broker, pki, users.relay, {
      instance_id: 'rt1',
      port,
      tls_cert: undefined,
      tls_key: undefined,
      signing_key: keys.privatePem,
      state_file: join(dir, 'relay-state.db'),
      public_url: relayUrl,
      hook_timeout_ms: 1500,
      offline_notice_after_s: 1,
      twilio_api_root: tw.apiRoot,
    });
    relay = await startRelay(settings);
    p = await startPhoneHub(clock, { tw, tg, settings: { link: link() } });
    hubToRelay(p);
    const owner = p.h.members.list().find((m) => m.role === 'owner')!;
    expect((await api(p.h.t, 'PATCH', `/members/${owner.id}`, { cookie: p.cookie, body: { phone: ALICE } })).status).toBe(200);
    checkinId = (await createCheckin(p)).id;
    // The hub announces the change (a digest on up/events); the relay pulls the profile over the signed RPC.
    p.h.t.hub.services.get<RelayTelephonyLink>('checkins-relay')!.announce();
    await waitFor(async () => (await relay.telephony.state.profile(HUB))?.profile.owners.length === 1, 'the relay has the hub’s contacts', 20_000);
  }, 60_000);

  afterAll(async () => {
    await p?.stop();
    await relay?.stop();
    await broker?.stop();
    await tw?.stop();
    await tg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the relay holds the contacts the hub synced, in order, and the hub’s Twilio credentials', async () => {
    const { profile } = (await relay.telephony.state.profile(HUB))!;
    expect(profile.account_sid).toBe(tw.accountSid);
    expect(profile.elders).toEqual([
      expect.objectContaining({
        name: 'Mary',
        phones: [MARY],
        contacts: [
          { name: 'Ann', phone: ANN },
          { name: 'Ben', phone: BEN },
        ],
      }),
    ]);
    expect(profile.owners).toEqual([{ name: 'Alice', phone: ALICE }]);
  });

  it('the relay keeps its state file to itself (0600) and the hub’s Twilio auth token only sealed', () => {
    const file = join(dir, 'relay-state.db');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) expect((statSync(f).mode & 0o777).toString(8), f).toBe('600');
    // Read as someone holding only a copy of the file would: the token is nowhere in plain.
    const copy = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = copy.prepare('SELECT doc FROM relay_twilio_profiles').all() as { doc: string }[];
      expect(rows).toHaveLength(1);
      expect(rows[0]!.doc).not.toContain(tw.authToken);
    } finally {
      copy.close();
    }
    const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
    expect(bytes.includes(Buffer.from(tw.authToken))).toBe(false);
  });

  it('webhooks go through the relay to the hub; the elder’s "1" ends the check-in', async () => {
    await callNow(p, checkinId);
    const call = await tw.callTo(MARY);
    expect(call.url).toMatch(new RegExp(`^${relayUrl}/hooks/${HUB}/hooks/twilio/checkin/`));
    expect(said(await tw.answer(call))).toMatch(/Hello Mary/);
    expect(said(await tw.gather(call, { Digits: '1' }))).toMatch(/Thank you/);
    await tw.end(call, 'completed');
    const [a] = await attempts(p, checkinId);
    expect(a).toMatchObject({ state: 'done', outcome: 'ok', calls: [{ sid: call.sid, digits: '1', outcome: 'ok' }] });
    expect(relay.telephony.fallbacks).toBe(0);
  });

  it('a forged signature at the relay is refused with 403 and never reaches the hub', async () => {
    const before = relay.telephony.forwarded;
    tw.signWith = 'not-the-auth-token';
    try {
      const hook = await tw.post(`${relayUrl}/hooks/${HUB}/hooks/twilio/inbound`, { AccountSid: tw.accountSid, CallSid: `CA${'1'.repeat(32)}`, From: MARY });
      expect(hook.status).toBe(403);
      expect(JSON.parse(hook.body).error.code).toBe('BAD_SIGNATURE');
    } finally {
      tw.signWith = undefined;
    }
    // Signed for another hub's path: the URL is part of the signature.
    const other = await tw.post(`${relayUrl}/hooks/hub-nobody/hooks/twilio/inbound`, { AccountSid: tw.accountSid, From: MARY });
    expect(other.status).toBe(403);
    expect(relay.telephony.forwarded).toBe(before);
  });

  it('the hub down: the relay answers with a safe TwiML, texts the family in order, acts once on a replay, tells the owner, and hands the record back', async () => {
    const c2 = await callNow(p, checkinId);
    const call = await tw.callTo(MARY, 2);
    await tw.answer(call);
    const dataDir = p.h.t.dataDir;
    await p.h.t.hub.stop();
    await waitFor(() => relay.broker.hub(HUB)?.online === false, 'the relay sees the hub offline');

    // Mary presses 2; the relay waits hook_timeout_ms for the hub, then answers itself.
    const answer = await tw.gather(call, { Digits: '2' });
    expect(said(answer)).toMatch(/telling your family/);
    const toAnn = await tw.smsTo(ANN, /Mary asked for help/);
    const toBen = await tw.smsTo(BEN, /Mary asked for help/);
    expect(tw.messages.indexOf(toAnn)).toBeLessThan(tw.messages.indexOf(toBen));
    expect(toAnn.body).toMatch(/home hub can't be reached/);

    // Twilio retries the same webhook (same idempotency token): answered the same, acted on once.
    const first = tw.hooks.at(-1)!;
    const again = await tw.post(first.url, first.params, first.token as `${string}-${string}-${string}-${string}-${string}`);
    expect(again.body).toBe(first.body);
    await relay.telephony.idle();
    expect(tw.messages.filter((m) => /Mary asked for help/.test(m.body))).toHaveLength(2);

    // Offline longer than relay.offline_notice_after_s: the owner is told, once.
    await tw.smsTo(ALICE, /offline since/);
    await relay.telephony.idle();
    expect(tw.messages.filter((m) => m.to === ALICE && /offline since/.test(m.body))).toHaveLength(1);

    // The hub comes back: "back online" to the owner, and the relay's record lands in the attempt and the audit.
    const p2 = await startPhoneHub(clock, { dataDir, tw, tg, fresh: false, settings: { link: link() } });
    p = { ...p2, cookie: p.cookie, ids: p.ids, stop: () => p2.h.stop() };
    hubToRelay(p);
    await tw.smsTo(ALICE, /back online/);
    await waitFor(() => p.h.t.hub.ctx.audit.list({ kind: 'checkin.relay_fallback', limit: 10 }).entries.length > 0, 'the record at the hub', 20_000);
    const [entry] = p.h.t.hub.ctx.audit.list({ kind: 'checkin.relay_fallback', limit: 10 }).entries;
    expect(entry!.data).toMatchObject({
      attempt: c2,
      outcome: 'help',
      told: [
        { name: 'Ann', sent: true },
        { name: 'Ben', sent: true },
      ],
    });
    const a = (await attempts(p, checkinId)).find((x) => x.id === c2);
    expect(a).toMatchObject({ state: 'escalated', outcome: 'help' });

    // Handing the same record again imports nothing.
    const records = (await relay.store.db.query<{ doc: string }>('SELECT doc FROM relay_fallback_records')).map((r) => JSON.parse(r.doc));
    const res = await relay.broker.call(HUB, 'telephony.import', { records } as Record<string, unknown>);
    expect(res).toEqual({ ok: true, result: { imported: 0 } });
    expect(p.h.t.hub.ctx.audit.list({ kind: 'checkin.relay_fallback', limit: 10 }).entries).toHaveLength(1);
  }, 60_000);
  it('Mary tells the relay she is fine while the hub is away: everyone the relay had texted hears "all clear" once the hub is back', async () => {
    // Ann and Ben were texted by the relay about Mary's "2" (the test before). Now the hub calls Mary again and goes away.
    const c3 = await callNow(p, checkinId);
    const call = await tw.callTo(MARY, 3);
    await tw.answer(call);
    const dataDir = p.h.t.dataDir;
    await p.h.t.hub.stop();
    await waitFor(() => relay.broker.hub(HUB)?.online === false, 'the relay sees the hub offline');
    expect(said(await tw.gather(call, { Digits: '1' }))).toMatch(/noted that you're fine/);
    await relay.telephony.idle();
    expect(tw.messages.filter((m) => /All clear/.test(m.body))).toHaveLength(0); // the relay does not know who else the hub told
    // The relay's forwarded request expired unanswered (relay.hook_timeout_ms). The hub's clock, a
    // minute behind in this test, is set to the real time (plus 2 s), as a hub with a synced clock
    // has it: the hub drops the expired request on return and learns of Mary's "1" from the relay's
    // record alone.
    await settle(2_000);
    clock.advance(Date.now() - clock.now() + 2_000);

    const p2 = await startPhoneHub(clock, { dataDir, tw, tg, fresh: false, settings: { link: link() } });
    p = { ...p2, cookie: p.cookie, ids: p.ids, stop: () => p2.h.stop() };
    hubToRelay(p);
    await waitFor(async () => (await attempts(p, checkinId)).find((x) => x.id === c3)?.outcome === 'ok', 'the relay’s "1" imported', 20_000);
    // Ann hears it on her usual channel (Telegram), Ben by SMS: each once.
    await waitMessage(tg, 911, /All clear: Mary told Hearth they are fine/);
    await tw.smsTo(BEN, /All clear: Mary told Hearth they are fine/);
    await p.h.router.tick();
    expect(tw.messages.filter((m) => m.to === BEN && /All clear/.test(m.body))).toHaveLength(1);
    expect((await attempts(p, checkinId)).find((x) => x.id === c3)).toMatchObject({ state: 'done', outcome: 'ok' });
  }, 60_000);
});
