import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/database.js';
import { membersTables } from '../../src/members/tables.js';
import { normalizePhone } from '../../src/members/model.js';
import type { MembersService } from '../../src/members/service.js';
import { silentLogger } from '../../src/core/logger.js';
import { startTestHub, tempDir, type TestHub } from '../helpers/hub.js';
import { api, makeFamily } from '../gate/support.js';

const SYSTEM = { id: 'system', origin: 'cli' as const };
const membersOf = (t: TestHub) => t.hub.services.get<{ name: string; members: MembersService; start(): void; stop(): void }>('members')!.members;

describe('member identities: who is this, by Telegram chat or phone number', () => {
  let t: TestHub | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('moves the Telegram chat ids and phones of a database from before the table into it', async () => {
    dir = tempDir();
    // A database as the members part made it before identities existed (its migration 1 only).
    const old = Store.open({
      dataDir: dir,
      log: silentLogger(),
      parts: [{ part: 'members', migrations: membersTables.migrations.filter((m) => m.version === 1) }],
    });
    const insert = old.db.prepare(
      `INSERT INTO members (id, username, display_name, role, phone, telegram_user_id, disabled, created_at, updated_at) VALUES (?, ?, ?, 'adult', ?, ?, 0, ?, ?)`,
    );
    insert.run('mem_ann', 'ann', 'Ann', '+15551234567', 4242, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
    insert.run('mem_bob', 'bob', 'Bob', null, null, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
    old.close();

    t = await startTestHub({ dataDir: dir });
    const members = membersOf(t);
    expect(members.get('mem_ann')).toMatchObject({ phone: '+15551234567', telegram_user_id: 4242 });
    expect(members.get('mem_bob')).toMatchObject({ phone: null, telegram_user_id: null });
    expect(members.byTelegramUserId(4242)?.id).toBe('mem_ann');
    expect(members.findMemberByIdentity('phone', '+1 (555) 123-4567')?.id).toBe('mem_ann');
    expect(members.findMemberByIdentity('phone', '001 555 123 4567')?.id).toBe('mem_ann');
    expect(members.findMemberByIdentity('phone', '5551234567')).toBeUndefined();
    const rows = t.hub.ctx.store.db.prepare('SELECT member_id, kind, value FROM member_identities ORDER BY kind').all();
    expect(rows).toEqual([
      { member_id: 'mem_ann', kind: 'phone', value: '+15551234567' },
      { member_id: 'mem_ann', kind: 'telegram_chat', value: '4242' },
    ]);
    // The per-channel columns are gone or empty.
    const cols = (t.hub.ctx.store.db.prepare('PRAGMA table_info(members)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).not.toContain('phone');
  });

  it('keeps the members API phone field on the identity, one number per member, and forgets it with the member', async () => {
    t = await startTestHub();
    const members = membersOf(t);
    const ann = await members.create({ username: 'ann', display_name: 'Ann', role: 'adult', phone: '+447700900123' }, SYSTEM);
    const bob = await members.create({ username: 'bob', display_name: 'Bob', role: 'elder' }, SYSTEM);
    expect(members.findMemberByIdentity('phone', '+44 7700 900123')?.id).toBe(ann.id);
    await expect(members.update(bob.id, { phone: '+447700900123' }, SYSTEM)).rejects.toMatchObject({ code: 'IDENTITY_TAKEN', status: 409 });
    await members.update(ann.id, { phone: '+447700900999' }, SYSTEM);
    expect(members.findMemberByIdentity('phone', '+447700900123')).toBeUndefined();
    await members.update(bob.id, { phone: '+447700900123' }, SYSTEM);
    expect(members.get(bob.id)!.phone).toBe('+447700900123');
    // A disabled member is nobody to a channel.
    await members.update(bob.id, { disabled: true }, SYSTEM);
    expect(members.findMemberByIdentity('phone', '+447700900123')).toBeUndefined();
    await members.remove(ann.id, SYSTEM);
    expect(t.hub.ctx.store.db.prepare('SELECT COUNT(*) AS n FROM member_identities WHERE member_id = ?').get(ann.id)).toEqual({ n: 0 });
  });

  it("answers a phone number that is someone else's with 409 IDENTITY_TAKEN over HTTP", async () => {
    t = await startTestHub();
    const fam = await makeFamily(t.url, t.dataDir, [
      { username: 'ann', role: 'adult' },
      { username: 'bob', role: 'elder' },
    ]);
    expect((await api(t.url, fam.olivia!, 'PATCH', `/members/${fam.ann!.id}`, { phone: '+15550001111' })).status).toBe(200);
    const taken = await api(t.url, fam.olivia!, 'PATCH', `/members/${fam.bob!.id}`, { phone: '+15550001111' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('IDENTITY_TAKEN');
    expect((await api(t.url, fam.olivia!, 'GET', `/members/${fam.ann!.id}`)).body.phone).toBe('+15550001111');
  });

  it('normalises phone numbers to E.164 and refuses what has no country code', () => {
    expect(normalizePhone('+1 (555) 123-4567')).toBe('+15551234567');
    expect(normalizePhone('0044 20 7946 0958')).toBe('+442079460958');
    expect(normalizePhone('555-1234')).toBeUndefined();
    expect(normalizePhone('+0123456789')).toBeUndefined();
    expect(normalizePhone('call me')).toBeUndefined();
  });
});
