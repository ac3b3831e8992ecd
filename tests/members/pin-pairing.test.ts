import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { HearthError } from '../../src/core/errors.js';
import { rmSync } from 'node:fs';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { OWNER, api, auditKinds, createMember, expectNotLogged, login, membersOf, setupOwner } from './helpers.js';

function thrown(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HearthError) return err;
    throw err;
  }
  throw new Error('expected a HearthError');
}

describe('PINs', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('verifies a PIN, audits each wrong one, locks after five, and unlocks with time', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    t = await startTestHub({ clock });
    await setupOwner(t);
    const members = membersOf(t);
    const alice = members.getByUsername('alice')!;
    expect(members.hasPin(alice.id)).toBe(true);
    expect(members.verifyPin(alice.id, OWNER.pin, 'telegram')).toBe(true);
    for (let i = 0; i < 5; i++) expect(members.verifyPin(alice.id, '0000', 'telegram')).toBe(false);
    const failed = auditKinds(t, 'auth.pin.failed');
    expect(failed).toHaveLength(5);
    expect(failed[0]).toMatchObject({ actor: alice.id, origin: 'telegram', data: { channel: 'telegram', reason: 'wrong_pin' } });
    expect(auditKinds(t, 'auth.pin.locked')).toHaveLength(1);

    // Locked: even the right PIN is refused, without being checked.
    const locked = thrown(() => members.verifyPin(alice.id, OWNER.pin, 'telegram'));
    expect(locked.code).toBe('PIN_LOCKED');
    expect(locked.status).toBe(429);
    clock.advance(4 * 60_000);
    expect(members.verifyPin(alice.id, OWNER.pin, 'web')).toBe(true);
    expectNotLogged(t, [`"${OWNER.pin}"`, '"0000"']); // quoted: bare digits could be a pid or a port
  });

  it('keeps the lock-out across a restart: the wrong PINs are read back from the audit trail', async () => {
    const dataDir = tempDir();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    t = await startTestHub({ clock, dataDir });
    await setupOwner(t);
    const aliceId = membersOf(t).getByUsername('alice')!.id;
    for (let i = 0; i < 5; i++) expect(membersOf(t).verifyPin(aliceId, '0000', 'web')).toBe(false);
    await t.stop();

    clock.advance(60_000);
    t = await startTestHub({ clock, dataDir });
    expect(thrown(() => membersOf(t!).verifyPin(aliceId, OWNER.pin, 'web')).code).toBe('PIN_LOCKED');
    clock.advance(3 * 60_000); // one guess back, as if the hub had never stopped
    expect(membersOf(t).verifyPin(aliceId, OWNER.pin, 'web')).toBe(true);
    await t.stop();

    // Wrong PINs older than the window (15 minutes) count for nothing: four more do not lock.
    clock.advance(16 * 60_000);
    t = await startTestHub({ clock, dataDir });
    for (let i = 0; i < 4; i++) expect(membersOf(t).verifyPin(aliceId, '0000', 'web')).toBe(false);
    expect(membersOf(t).verifyPin(aliceId, OWNER.pin, 'web')).toBe(true);
    await t.stop();
    t = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers false for a member without a PIN, and for malformed PINs', async () => {
    t = await startTestHub();
    const owner = await setupOwner(t);
    const bob = await createMember(t, owner, { username: 'bob', display_name: 'Bob', role: 'adult' });
    const members = membersOf(t);
    expect(members.hasPin(bob.id)).toBe(false);
    expect(members.verifyPin(bob.id, '1234', 'web')).toBe(false);
    const alice = members.getByUsername('alice')!;
    expect(members.verifyPin(alice.id, '43210000000', 'web')).toBe(false);
    expect(members.verifyPin('mem_nobody', '1234', 'web')).toBe(false);
  });
});

describe('Telegram pairing', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('issues a one-time code to the owner and binds the Telegram account that redeems it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    t = await startTestHub({ clock });
    const owner = await setupOwner(t);
    const bob = await createMember(t, owner, { username: 'bob', display_name: 'Bob', role: 'adult', password: 'bobs long password' });
    const bobCookie = await login(t, 'bob', 'bobs long password');
    expect((await api(t, 'POST', `/members/${bob.id}/pairing-code`, { cookie: bobCookie })).status).toBe(403);

    const res = await api(t, 'POST', `/members/${bob.id}/pairing-code`, { cookie: owner });
    expect(res.status).toBe(201);
    const { code, expires_at } = res.body as { code: string; expires_at: string };
    expect(code).toMatch(/^[0-9a-z]{8}$/);
    expect(Date.parse(expires_at) - clock.now()).toBe(15 * 60_000);

    const members = membersOf(t);
    expect(members.byTelegramUserId(777)).toBeUndefined();
    const paired = members.redeemPairingCode(code.toUpperCase(), 777);
    expect(paired).toMatchObject({ id: bob.id, telegram_user_id: 777 });
    expect(members.byTelegramUserId(777)?.id).toBe(bob.id);
    expect(auditKinds(t, 'member.telegram_paired')).toHaveLength(1);
    expect(thrown(() => members.redeemPairingCode(code, 777)).code).toBe('PAIRING_CODE_INVALID');
    expect(thrown(() => members.redeemPairingCode('zzzzzzzz', 888)).code).toBe('PAIRING_CODE_INVALID');

    // Expiry, and a new code replacing an older unused one.
    const old = (await api(t, 'POST', `/members/${bob.id}/pairing-code`, { cookie: owner })).body.code as string;
    const fresh = (await api(t, 'POST', `/members/${bob.id}/pairing-code`, { cookie: owner })).body.code as string;
    expect(thrown(() => members.redeemPairingCode(old, 999)).code).toBe('PAIRING_CODE_INVALID');
    clock.advance(16 * 60_000);
    expect(thrown(() => members.redeemPairingCode(fresh, 999)).code).toBe('PAIRING_CODE_EXPIRED');
    expect(auditKinds(t, 'member.pairing.failed').length).toBeGreaterThanOrEqual(4);

    // The owner can unlink; a disabled member is not found by Telegram id.
    const unlinked = await api(t, 'PATCH', `/members/${bob.id}`, { cookie: owner, body: { telegram_user_id: null } });
    expect(unlinked.body.telegram_user_id).toBeNull();
    expect(members.byTelegramUserId(777)).toBeUndefined();
    expectNotLogged(t, [code, old, fresh]);
  });
});

describe('OpenAPI', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('documents the members routes', async () => {
    t = await startTestHub();
    const res = await fetch(`${t.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    for (const path of [
      '/api/v1/setup',
      '/api/v1/auth/login',
      '/api/v1/tokens',
      '/api/v1/members',
      '/api/v1/members/{id}',
      '/api/v1/members/{id}/pairing-code',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });
});
