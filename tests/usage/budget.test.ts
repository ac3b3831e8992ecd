import { afterEach, describe, expect, it } from 'vitest';
import { monthOf, type UsageLedger } from '../../src/usage/index.js';
import type { LlmChain } from '../../src/inference/chain.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { FakeOpenAi } from '../fakes/openai.js';
import { api, makeFamily, type Person } from '../gate/support.js';

/** Usage and caps on a real hub (SQLite file, notify router), the model a fake server on loopback. */
let t: TestHub | undefined;
let fake: FakeOpenAi | undefined;
afterEach(async () => {
  await t?.stop();
  await fake?.stop();
  t = undefined;
  fake = undefined;
});

async function setUp(
  settings: Record<string, unknown> = {},
): Promise<{ t: TestHub; ledger: UsageLedger; chain: LlmChain; people: Record<string, Person>; fake: FakeOpenAi }> {
  fake = new FakeOpenAi();
  await fake.start();
  t = await startTestHub({ settings: { llm: { order: ['remote'], remote_url: fake.url, remote_model: 'm', max_output_tokens: 256 }, ...settings } });
  const people = await makeFamily(t.url, t.dataDir, [{ username: 'adam', role: 'adult' }]);
  const ledger = (t.hub.services.get('usage') as unknown as { ledger: UsageLedger }).ledger;
  const chain = (t.hub.services.get('inference') as unknown as { chain: LlmChain }).chain;
  return { t, ledger, chain, people, fake };
}

describe('usage caps', () => {
  it('20 concurrent requests never spend past the cap: each reserves its most before it starts', async () => {
    const f = await setUp({ usage: { caps: { llm_tokens: 3000 } } });
    const member = f.people.adam!.id;
    let worst = 0;
    f.fake.script = () => {
      const row = f.ledger.list(f.ledger.month(), member).find((r) => r.kind === 'llm_tokens')!;
      worst = Math.max(worst, row.used + row.reserved);
      return { content: '{"sentence":"ok"}', delayMs: 30, usage: { prompt_tokens: 100, completion_tokens: 10 } };
    };
    const data = 'x'.repeat(1500); // about 500 tokens reserved with the 256 of the answer
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => f.chain.generate({ member_id: member, system: 's', data, signal: AbortSignal.timeout(20_000) })),
    );
    const answered = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'USAGE_CAP_REACHED').length;
    expect(answered + refused).toBe(20);
    expect(answered).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(3000);
    const row = f.ledger.list(f.ledger.month(), member).find((r) => r.kind === 'llm_tokens')!;
    expect(row).toMatchObject({ used: answered * 110, reserved: 0, cap: 3000, requests: answered, refused });
    expect(f.fake.requests.length).toBe(answered);
  });

  it('tells the owner once at 80 % and once at 100 %, for any kind (call minutes as telephony will count them)', async () => {
    const f = await setUp({ usage: { caps: { call_minutes: 10 } } });
    const member = f.people.adam!.id;
    f.ledger.record(member, 'call_minutes', 5);
    f.ledger.record(member, 'call_minutes', 3); // 80 %
    f.ledger.record(member, 'call_minutes', 1);
    f.ledger.record(member, 'call_minutes', 1); // 100 %
    expect(() => f.ledger.reserve(member, 'call_minutes', 1)).toThrow(/used up/);
    const list = await api(f.t.url, f.people.olivia!, 'GET', '/notifications');
    const texts = list.body.notifications
      .filter((n: { kind: string }) => n.kind === 'usage.threshold')
      .map((n: { text: string }) => n.text)
      .sort();
    expect(texts).toEqual([
      "adam has used 80 % of this month's call minutes (8 of 10).",
      "adam has used all of this month's call minutes (10 of 10); further requests are refused until next month or a higher cap.",
    ]);
  });

  it('GET /api/v1/usage: the owner sees everyone, a member only themselves; a bad month is a 400', async () => {
    const f = await setUp({ usage: { member_caps: {} } });
    f.ledger.record(f.people.adam!.id, 'sms', 2);
    f.ledger.record(f.people.olivia!.id, 'llm_tokens', 40);
    const month = f.ledger.month();
    const owner = await api(f.t.url, f.people.olivia!, 'GET', `/usage?month=${month}`);
    expect(owner.status).toBe(200);
    expect(owner.body.usage.map((r: { member_id: string; kind: string }) => r.kind).sort()).toEqual(['llm_tokens', 'sms']);
    const adam = await api(f.t.url, f.people.adam!, 'GET', `/usage?month=${month}`);
    expect(adam.body.usage).toEqual([{ member_id: f.people.adam!.id, kind: 'sms', used: 2, reserved: 0, cap: null, requests: 1, refused: 0 }]);
    const bad = await api(f.t.url, f.people.olivia!, 'GET', '/usage?month=2026-13');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBeTruthy();
  });

  it("counts months in the home's time zone", () => {
    const lateUtc = Date.UTC(2026, 0, 31, 23, 30);
    expect(monthOf(lateUtc, 'UTC')).toBe('2026-01');
    expect(monthOf(lateUtc, 'Europe/Berlin')).toBe('2026-02');
    expect(monthOf(Date.UTC(2026, 1, 1, 3), 'America/New_York')).toBe('2026-01');
  });
});
