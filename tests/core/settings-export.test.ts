import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { api, setupOwner } from '../members/helpers.js';

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.reverse()) await h.stop();
  hubs = [];
});

const SECRET = 'AC-twilio-auth-token-0123456789';

describe('settings export', () => {
  it('never sends secrets in clear; with a passphrase they travel encrypted and import back', async () => {
    const t = await startTestHub({ settings: { mqtt: { port: 0 } } });
    hubs.push(t);
    const owner = await setupOwner(t);
    const patched = await api(t, 'PATCH', '/settings', { cookie: owner, body: { twilio: { auth_token: SECRET, account_sid: 'AC123' } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const tokenWith = async (scopes: string[]) =>
      (await api(t, 'POST', '/tokens', { cookie: owner, body: { name: scopes.join(' '), scopes } })).body.token as string;

    // A settings:read token: refused (the finding: it exported the secret in clear).
    const reader = await api(t, 'GET', '/settings/export', { token: await tokenWith(['settings:read']) });
    expect(reader.status).toBe(403);
    expect(JSON.stringify(reader.body)).not.toContain(SECRET);
    // The owner's plain export: secrets as a marker.
    const plain = await api(t, 'GET', '/settings/export', { cookie: owner });
    expect(plain.status).toBe(200);
    expect(JSON.stringify(plain.body)).not.toContain(SECRET);
    expect(plain.body.settings.twilio.auth_token).toBe('[secret]');
    // A settings:write token may take the plain export, never the one with secrets.
    const writer = await tokenWith(['settings:write', 'settings:read']);
    expect((await api(t, 'GET', '/settings/export', { token: writer })).status).toBe(200);
    expect((await api(t, 'POST', '/settings/export', { token: writer, body: { passphrase: 'a long passphrase' } })).status).toBe(403);

    // Importing the plain export keeps the saved secret.
    expect((await api(t, 'POST', '/settings/import', { cookie: owner, body: plain.body })).status).toBe(200);
    expect(t.hub.ctx.settings.get().twilio.auth_token).toBe(SECRET);

    // The owner's encrypted export: the secret is not in it in clear, and comes back with the passphrase.
    const sealed = await api(t, 'POST', '/settings/export', { cookie: owner, body: { passphrase: 'a long passphrase' } });
    expect(sealed.status, JSON.stringify(sealed.body)).toBe(200);
    expect(JSON.stringify(sealed.body)).not.toContain(SECRET);
    expect(Buffer.from(sealed.body.encrypted, 'base64').includes(Buffer.from(SECRET))).toBe(false);
    expect((await api(t, 'PATCH', '/settings', { cookie: owner, body: { twilio: { auth_token: 'something-else-entirely' } } })).status).toBe(200);
    const wrong = await api(t, 'POST', '/settings/import', { cookie: owner, body: { encrypted: sealed.body.encrypted, passphrase: 'not the passphrase' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('SEALED_INVALID');
    const back = await api(t, 'POST', '/settings/import', { cookie: owner, body: { encrypted: sealed.body.encrypted, passphrase: 'a long passphrase' } });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(t.hub.ctx.settings.get().twilio.auth_token).toBe(SECRET);
  });
});
