import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, makePki, Mosquitto, waitFor, type Pki } from '../helpers/mosquitto.js';
import { Postgres } from '../helpers/postgres.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Relay } from '../../src/relay/index.js';
import type { RelayTelephonyLink } from '../../src/checkins/relay-link.js';
import { FakeTwilio, said, type FakeCall } from '../fakes/twilio.js';
import { FakeTelegram } from '../fakes/telegram-bot-api.js';
import { ed25519, linkSettings, relaySettings, startRelay, tmp } from '../link/helpers.js';
import { ANN, BEN, MARY, attempts, callNow, createCheckin, startPhoneHub, type PhoneHub } from '../checkins/support.js';

const HUB = 'hub-2r';

/**
 * Two relays behind one load-balanced address, one Mosquitto (TLS, ACL) and one real PostgreSQL:
 * Twilio's webhook (and its retry) may reach either. Each is acted on once, whether the hub
 * answers it or the relays fall back, and the family is texted once.
 */
describe('two relays on one PostgreSQL: each webhook and each escalation once', () => {
  let dir: string;
  let pki: Pki;
  let broker: Mosquitto;
  let pgs: Postgres;
  const relays: Relay[] = [];
  const origins: string[] = [];
  let tw: FakeTwilio;
  let tg: FakeTelegram;
  let p: PhoneHub;
  let publicUrl: string;
  let checkinId: string;
  const users = { relay: 'relay-pw', [HUB]: 'hub-2r-pw-secret' };
  const keys = ed25519();
  const clock = new ManualClock(Date.now());

  /** Mary's answer to the last <Gather>, delivered to both relays at once with one idempotency token (a retry racing the first try). */
  const gatherAtBoth = async (call: FakeCall, digits: string): Promise<string[]> => {
    const { url, params } = tw.gatherHook(call, { Digits: digits });
    const token = crypto.randomUUID();
    const answers = await Promise.all(origins.map((o) => tw.postVia(o, url, params, token)));
    for (const a of answers) expect(a.status).toBe(200);
    return answers.map((a) => a.body);
  };

  beforeAll(async () => {
    dir = tmp('hearth-2relays-tel-');
    pki = makePki(join(dir, 'pki'));
    [broker, pgs] = await Promise.all([Mosquitto.start({ dir: join(dir, 'broker'), pki, users }), Postgres.start()]);
    const database_url = await pgs.createDatabase('relays');
    tw = await new FakeTwilio().start();
    tg = await new FakeTelegram().start();
    const ports = [await freePort(), await freePort()];
    publicUrl = `http://127.0.0.1:${ports[0]}`; // the load balancer's address, as Twilio signs it
    for (const [i, port] of ports.entries()) {
      const settings = relaySettings(broker, pki, users.relay, {
        instance_id: `r${i + 1}`,
        shared_group: 'g-tel',
        port,
        tls_cert: undefined,
        tls_key: undefined,
        signing_key: keys.privatePem,
        database_url,
        public_url: publicUrl,
        hook_timeout_ms: 1500,
        offline_notice_after_s: 3600,
        twilio_api_root: tw.apiRoot,
      });
      const relay = await startRelay(settings);
      relays.push(relay);
      origins.push(`http://127.0.0.1:${port}`);
    }
    p = await startPhoneHub(clock, {
      tw,
      tg,
      settings: { link: linkSettings(broker, pki, HUB, users[HUB], { relay_public_key: keys.publicPem, rpc_timeout_ms: 3000 }) },
    });
    p.h.t.hub.ctx.settings.update({ twilio: { public_url: `${publicUrl}/hooks/${HUB}` } }, 'test');
    checkinId = (await createCheckin(p)).id;
    p.h.t.hub.services.get<RelayTelephonyLink>('checkins-relay')!.announce();
    for (const relay of relays)
      await waitFor(async () => (await relay.telephony.state.profile(HUB)) !== undefined, 'both relays read the synced profile', 20_000);
  }, 90_000);

  afterAll(async () => {
    await p?.stop();
    for (const relay of relays) await relay.stop();
    await broker?.stop();
    await pgs?.stop();
    await tw?.stop();
    await tg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the hub up: Mary’s "1" reaching both relays at once ends the check-in once', async () => {
    const attemptId = await callNow(p, checkinId);
    const call = await tw.callTo(MARY, 1);
    expect(said(await tw.answer(call))).toMatch(/Hello Mary/);
    const forwarded = () => relays.reduce((n, r) => n + r.telephony.forwarded, 0);
    const before = forwarded();
    const answers = await gatherAtBoth(call, '1');
    expect(answers.some((a) => /Thank you/.test(said(a)))).toBe(true);
    expect(forwarded()).toBe(before + 1); // one of the two relays forwarded it; the other answered from the shared claim
    await tw.end(call, 'completed');
    const a = (await attempts(p, checkinId)).find((x) => x.id === attemptId);
    expect(a).toMatchObject({ state: 'done', outcome: 'ok' });
    // The hub's handler ran once: one answered gather in the trail of the call.
    expect(a.calls).toEqual([expect.objectContaining({ sid: call.sid, digits: '1', outcome: 'ok' })]);
  });

  it('the hub down: Mary’s "2" reaching both relays at once texts Ann and Ben once each', async () => {
    await callNow(p, checkinId);
    const call = await tw.callTo(MARY, 2);
    await tw.answer(call);
    await p.h.t.hub.stop();
    for (const relay of relays) await waitFor(() => relay.broker.hub(HUB)?.online === false, 'the relays see the hub offline');
    const answers = await gatherAtBoth(call, '2');
    expect(answers.some((a) => /telling your family/.test(said(a)))).toBe(true);
    await tw.smsTo(ANN, /Mary asked for help/);
    await tw.smsTo(BEN, /Mary asked for help/);
    for (const relay of relays) await relay.telephony.idle();
    expect(
      tw.messages
        .filter((m) => /Mary asked for help/.test(m.body))
        .map((m) => m.to)
        .sort(),
    ).toEqual([ANN, BEN].sort());
    expect(relays.reduce((n, r) => n + r.telephony.fallbacks, 0)).toBe(1);
  }, 60_000);
});
