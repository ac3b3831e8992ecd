import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, scryptSync: vi.fn(real.scryptSync) };
});

const { scryptSync } = await import('node:crypto');
const { authenticate, hashPassword } = await import('../../src/relay/accounts.js');

describe('relay accounts', () => {
  it('spends the same scrypt work on an unknown account id as on a known one (no user enumeration by timing)', () => {
    const accounts = [{ id: 'eve', name: 'Eve', role: 'engineer' as const, password_hash: hashPassword('the right password') }];
    const basic = (id: string, password: string) => `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}`;
    authenticate(basic('nobody', 'x'), accounts); // the first call may also make the stand-in hash
    const calls = () => vi.mocked(scryptSync).mock.calls.length;
    let before = calls();
    expect(authenticate(basic('eve', 'wrong'), accounts)).toBeNull();
    const known = calls() - before;
    before = calls();
    expect(authenticate(basic('mallory', 'wrong'), accounts)).toBeNull();
    expect(calls() - before).toBe(known);
    expect(known).toBe(1);
  });
});
