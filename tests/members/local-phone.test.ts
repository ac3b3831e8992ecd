import { afterEach, describe, expect, it } from 'vitest';
import { normalizePhone } from '../../src/members/model.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';

describe("local phone numbers read with the home's country (hub.country)", () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('refuses a local number until the country is set, then stores it in E.164 on members, My account and check-ins', async () => {
    t = await startTestHub();
    const fam = await makeFamily(t.url, t.dataDir, [
      { username: 'ann', role: 'adult' },
      { username: 'mary', role: 'elder' },
    ]);
    const owner = fam.olivia!;

    // No country yet: a local number cannot be read, and the refusal names the field in a sentence.
    const before = await api(t.url, owner, 'PATCH', `/members/${fam.ann!.id}`, { phone: '07700 900123' });
    expect(before.status).toBe(400);
    expect(before.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'phone' });
    expect(before.body.error.message).toContain("Type the number with its country code, like +44 7700 900123, or set the home's country in Settings");

    // A bad country is refused; a good one is kept.
    expect((await api(t.url, owner, 'PATCH', '/settings', { hub: { country: 'Britain' } })).status).toBe(400);
    expect((await api(t.url, owner, 'PATCH', '/settings', { hub: { country: 'GB' } })).status).toBe(200);

    // The owner sets a member's phone; the member sets their own (My account).
    const set = await api(t.url, owner, 'PATCH', `/members/${fam.ann!.id}`, { phone: '07700 900123' });
    expect(set.status).toBe(200);
    expect(set.body.phone).toBe('+447700900123');
    const mine = await api(t.url, fam.mary!, 'PATCH', '/members/me', { phone: '020 7946 0958' });
    expect(mine.status).toBe(200);
    expect(mine.body.phone).toBe('+442079460958');
    // Numbers with a country code still work, whatever the home's country.
    expect((await api(t.url, owner, 'PATCH', `/members/${fam.ann!.id}`, { phone: '+1 (415) 555-0100' })).body.phone).toBe('+14155550100');

    // What cannot be a number is still refused, beside the field.
    const short = await api(t.url, owner, 'PATCH', `/members/${fam.ann!.id}`, { phone: '12' });
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'phone' });
    const words = await api(t.url, owner, 'PATCH', `/members/${fam.ann!.id}`, { phone: 'call me' });
    expect(words.status).toBe(400);
    expect(words.body.error.field).toBe('phone');
    const created = await api(t.url, owner, 'POST', '/members', { username: 'ben', display_name: 'Ben', role: 'child', phone: '07700 900999' });
    expect([200, 201, 202]).toContain(created.status);

    // The check-ins form: the number to call, typed locally.
    const checkin = await api(t.url, owner, 'POST', '/checkins', {
      member_id: fam.mary!.id,
      times: ['09:00'],
      escalate_to: [fam.ann!.id],
      phone: '07700 900456',
    });
    expect(checkin.status).toBe(201);
    expect(checkin.body.phone).toBe('+447700900456');
    const bad = await api(t.url, owner, 'PATCH', `/checkins/${checkin.body.id}`, { phone: '0770' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'phone' });
    const changed = await api(t.url, owner, 'PATCH', `/checkins/${checkin.body.id}`, { phone: '07700 900789' });
    expect(changed.body.phone).toBe('+447700900789');

    // The country can be cleared again (null, as Settings sends an empty field): local numbers are refused once more.
    const cleared = await api(t.url, owner, 'PATCH', '/settings', { hub: { country: null } });
    expect(cleared.status).toBe(200);
    const now = (await api(t.url, owner, 'GET', '/settings')).body;
    expect(now.hub.name).toBeTruthy();
    expect(now.hub.country ?? null).toBeNull();
    expect((await api(t.url, owner, 'PATCH', `/members/${fam.ann!.id}`, { phone: '07700 900123' })).body.error).toMatchObject({ field: 'phone' });
  });

  it('reads US numbers the way Americans write them', () => {
    expect(normalizePhone('(415) 555-0100', 'US')).toBe('+14155550100');
    expect(normalizePhone('1 415 555 0100', 'US')).toBe('+14155550100');
    expect(normalizePhone('07700 900123', 'gb')).toBe('+447700900123');
    expect(normalizePhone('(415) 555-0100')).toBeUndefined();
    expect(normalizePhone('555', 'US')).toBeUndefined();
    expect(normalizePhone('07700 900123', 'XX')).toBeUndefined();
  });
});
