import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';

/** POST /api/v1/say: the dialogue over HTTP, as DESIGN has it. */
describe('POST /api/v1/say', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  const bearer = async (url: string, token: string, body: unknown) => {
    const res = await fetch(`${url}/api/v1/say`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('answers {text} and {choice} for a session, with choices, and keeps to the contract', async () => {
    t = await startTestHub({ settings: { hub: { demo: true } } });
    const fam = await makeFamily(t.url, t.dataDir, [{ username: 'ben', role: 'adult' }]);
    const garage = await api(t.url, fam.ben!, 'POST', '/say', { text: 'is the garage open?' });
    expect(garage.status).toBe(200);
    expect(garage.body).toEqual({ reply: expect.stringMatching(/garage door is closed/i), intent: 'question' });

    const unlock = await api(t.url, fam.ben!, 'POST', '/say', { text: 'unlock the front door' });
    expect(unlock.body).toMatchObject({ intent: 'command', outcome: { status: 'pending', approval_id: expect.any(String) } });
    expect(unlock.body.reply).toMatch(/Waiting for approval from Olivia/);

    const which = await api(t.url, fam.ben!, 'POST', '/say', { text: 'turn on the light' });
    expect(which.body.intent).toBe('clarify');
    const kitchen = which.body.choices.find((c: { label: string }) => /kitchen/i.test(c.label));
    const done = await api(t.url, fam.ben!, 'POST', '/say', { choice: kitchen.id });
    expect(done.body).toMatchObject({ intent: 'command', outcome: { status: 'executed' } });
    // Secrets and transport hints never go out.
    expect(Object.keys(done.body).sort()).toEqual(['intent', 'outcome', 'reply']);

    // The owner's PIN challenge and decision, by choice, on the same route.
    const list = await api(t.url, fam.olivia!, 'POST', '/say', { text: 'approvals' });
    const pin = await api(t.url, fam.olivia!, 'POST', '/say', { choice: list.body.choices[0].id });
    expect(pin.body).toMatchObject({ intent: 'pin', outcome: { status: 'pending', approval_id: unlock.body.outcome.approval_id } });
    const ok = await api(t.url, fam.olivia!, 'POST', '/say', { text: '2468' });
    expect(ok.body).toMatchObject({ intent: 'decision', outcome: { status: 'executed' } });
  });

  it('validates bodies, needs a sign-in, holds tokens to the actions scope, and rate limits per member', async () => {
    t = await startTestHub();
    const fam = await makeFamily(t.url, t.dataDir, [{ username: 'ben', role: 'adult' }]);
    expect((await api(t.url, null, 'POST', '/say', { text: 'hello' })).status).toBe(401);
    for (const body of [{}, { text: '' }, { text: 'x', choice: 'y' }, { choice: 'not valid!' }, { text: 'x'.repeat(1001) }, { text: 3 }]) {
      const r = await api(t.url, fam.ben!, 'POST', '/say', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toEqual(expect.any(String));
    }
    const token = async (scopes: string[]) => (await api(t!.url, fam.ben!, 'POST', '/tokens', { name: scopes.join(' '), scopes })).body.token as string;
    const auditOnly = await bearer(t.url, await token(['audit:read']), { text: 'help' });
    expect(auditOnly.status).toBe(403);
    expect(auditOnly.body.error.code).toBe('SCOPE_REQUIRED');
    const actions = await bearer(t.url, await token(['actions:write']), { text: 'help' });
    expect(actions.status).toBe(200);
    expect(actions.body.intent).toBe('help');

    let limited: { status: number; body: any } | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await api(t.url, fam.olivia!, 'POST', '/say', { text: 'help' });
      if (r.status === 429) limited = r;
    }
    expect(limited?.body.error.code).toBe('RATE_LIMITED');
    // Another member is not held up by Olivia's flood.
    expect((await api(t.url, fam.ben!, 'POST', '/say', { text: 'help' })).status).toBe(200);
  });

  it('is in the OpenAPI document', async () => {
    t = await startTestHub();
    const doc = (await (await fetch(`${t.url}/api/openapi.json`)).json()) as {
      paths: Record<string, { post?: { requestBody?: unknown; responses?: Record<string, unknown> } }>;
    };
    const say = doc.paths['/api/v1/say']?.post;
    expect(say?.requestBody).toBeDefined();
    expect(Object.keys(say!.responses!)).toEqual(expect.arrayContaining(['200', '400', '429']));
  });
});
