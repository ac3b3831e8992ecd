import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FakeTwilio, said } from '../fakes/twilio.js';
import { FakeTelegram } from '../fakes/telegram-bot-api.js';
import { tempDir, type HubProcess } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';
import { login, stopProcess, waitFor } from '../workflows/support.js';
import { spawnHub, SLOW_TEST_MS } from '../cli/slow.js';

const MARY = '+15550000001';
const ANN = '+15550000003';
const BEN = '+15550000002';
const CARL = '+15550000004';
/** Seconds between rungs: long enough to SIGKILL the hub between the first and the second. */
const STEP_S = 9;
const WAIT_MS = 40_000;

/** A free loopback port, so the hub's public webhook URL (signed by Twilio) is the same across the restart. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let hub: HubProcess | undefined;
const dirs: string[] = [];
let tw: FakeTwilio | undefined;
let tg: FakeTelegram | undefined;
afterEach(async () => {
  await stopProcess(hub, dirs);
  hub = undefined;
  await tw?.stop();
  await tg?.stop();
  tw = tg = undefined;
});

describe('a check-in escalation across a SIGKILL of a real hearth start', () => {
  it('resumes the ladder after the restart: each rung goes out once, in order, and an acknowledgement stops it', { timeout: SLOW_TEST_MS }, async () => {
    tw = await new FakeTwilio().start();
    tg = await new FakeTelegram().start();
    const dataDir = tempDir();
    dirs.push(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = join(dataDir, 'hearth.yaml');
    // YAML is a superset of JSON; the file holds the auth token, so it is the owner's alone.
    writeFileSync(
      config,
      JSON.stringify({
        hub: { timezone: 'Europe/London' },
        twilio: { account_sid: tw.accountSid, auth_token: tw.authToken, from: '+15559990000', api_root: tw.apiRoot, public_url: url },
        telegram: { token: tg.token, api_root: tg.apiRoot, poll_timeout_s: 1 },
        notify: { tick_ms: 100, retry_base_ms: 50, retry_max_ms: 400, escalation_step_minutes: STEP_S / 60 },
      }),
      { mode: 0o600 },
    );
    const start = () => spawnHub(['--data', dataDir, '--config', config], { env: { HEARTH_HTTP_PORT: String(port) } });
    hub = await start();

    // The household through the HTTP API: Mary the elder; Ann (Telegram), Ben and Carl (phone only).
    const owner = (await makeFamily(url, dataDir, [])).olivia!;
    const member = async (username: string, role: string, phone: string): Promise<string> => {
      const res = await api(url, owner, 'POST', '/members', {
        username,
        display_name: username[0]!.toUpperCase() + username.slice(1),
        role,
        phone,
        password: `${username} long password`,
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const ids = {
      mary: await member('mary', 'elder', MARY),
      ann: await member('ann', 'adult', ANN),
      ben: await member('ben', 'adult', BEN),
      carl: await member('carl', 'adult', CARL),
    };
    const annTg = tg.user(911, 'Ann');
    const code = (await api(url, owner, 'POST', `/members/${ids.ann}/pairing-code`)).body.code as string;
    tg.say(annTg, `/start ${code}`);
    await waitFor(async () => (await api(url, owner, 'GET', `/members/${ids.ann}`)).body?.telegram_user_id === 911, "Ann's Telegram pairing", WAIT_MS);

    const created = await api(url, owner, 'POST', '/checkins', {
      member_id: ids.mary,
      times: ['09:30'],
      escalate_to: [ids.ann, ids.ben, ids.carl],
      retries: 0,
    });
    expect(created.status).toBe(201);
    const checkinId = created.body.id as string;
    expect((await api(url, owner, 'POST', `/checkins/${checkinId}/call`)).status).toBe(202);
    await tw.end(await tw.waitFor(() => tw!.calls.find((c) => c.to === MARY), 'the check-in call to Mary', WAIT_MS), 'no-answer');

    // The first rung: Ann on Telegram. Then the hub dies with no chance to tidy up.
    // The alert itself (the notice that Ben took it quotes it, after its own words).
    const missed = /^Mary did not answer the check-in call/;
    await tg.waitFor(() => tg!.sentTo(911).find((m) => missed.test(m.text ?? '')), 'the first rung (Ann on Telegram)', WAIT_MS);
    hub.child.kill('SIGKILL');
    await hub.exited;
    expect(tw.messages).toHaveLength(0); // killed before the second rung was due
    hub = await start();
    const again = await login(url, 'olivia');

    // The second rung (an SMS to Ann), then the third (a call to Ben), each once.
    await tw.waitFor(() => tw!.messages.find((m) => m.to === ANN && missed.test(m.body)), 'the second rung (an SMS to Ann)', WAIT_MS);
    const toBen = await tw.waitFor(() => tw!.calls.find((c) => c.to === BEN), 'the third rung (a call to Ben)', WAIT_MS);
    expect(said(await tw.answer(toBen))).toMatch(/Mary did not answer the check-in call/);
    expect(said(await tw.gather(toBen, { Digits: '1' }))).toMatch(/Everyone has been told/);
    await tg.waitFor(() => tg!.sentTo(911).find((m) => /Ben took it/.test(m.text ?? '')), 'Ann told that Ben took it', WAIT_MS);
    await waitFor(
      async () => (await api(url, again, 'GET', `/checkins/${checkinId}/attempts`)).body?.[0]?.escalation?.state === 'acknowledged',
      'the escalation acknowledged',
      WAIT_MS,
    );

    // Past the time the fourth rung (a call to Carl) would have been due: the acknowledgement stopped it.
    await new Promise((r) => setTimeout(r, (STEP_S + 3) * 1000));
    expect(tg.sentTo(911).filter((m) => missed.test(m.text ?? ''))).toHaveLength(1);
    expect(tw.messages.filter((m) => missed.test(m.body)).map((m) => m.to)).toEqual([ANN]);
    expect(tw.calls.map((c) => c.to)).toEqual([MARY, BEN]);
    const rungs = (await api(url, again, 'GET', `/audit?kind=notify.escalated`)).body.entries as { seq: number; data: { rung: string } }[];
    // In order: the audit's sequence numbers (the first rung is the notification itself, not a climb).
    expect(rungs.sort((a, b) => a.seq - b.seq).map((e) => e.data.rung)).toEqual(['channel:sms', `member:${ids.ben}@voice`]);
    const [attempt] = (await api(url, again, 'GET', `/checkins/${checkinId}/attempts`)).body;
    expect(attempt.escalation).toMatchObject({ state: 'acknowledged', ack_by: ids.ben });
  });
});
