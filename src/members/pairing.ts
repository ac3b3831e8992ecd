import type { Statement } from 'better-sqlite3';
import type { HubContext } from '../part/context.js';
import { isoTime } from '../core/clock.js';
import { HearthError, conflict } from '../core/errors.js';
import { randomToken, sha256Hex } from '../core/ids.js';
import { RateLimiter } from '../core/rate-limit.js';
import type { Member } from './model.js';
import { toMember, type MemberRepo } from './repo.js';
import type { Actor } from './service.js';
import { membersErrors } from './errors.js';

export const PAIRING_TTL_MS = 15 * 60_000;

interface CodeRow {
  code_hash: string;
  member_id: string;
  expires_at: string;
  used_at: string | null;
}

/**
 * Telegram pairing codes: 8 base32 characters (40 bits), one-time, 15 minutes, stored as
 * SHA-256. A new code for a member replaces that member's unused ones.
 */
export class PairingCodes {
  private readonly insert: Statement;
  private readonly find: Statement<[string], CodeRow>;
  private readonly markUsed: Statement<[string, string]>;
  private readonly dropUnused: Statement<[string]>;
  private readonly prune: Statement<[string]>;
  /** Per Telegram account: guessing 40-bit codes is hopeless, and this keeps it so. */
  private readonly limiter: RateLimiter;

  constructor(
    private readonly ctx: HubContext,
    private readonly repo: MemberRepo,
  ) {
    const db = ctx.store.db;
    this.insert = db.prepare('INSERT INTO pairing_codes (code_hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)');
    this.find = db.prepare('SELECT code_hash, member_id, expires_at, used_at FROM pairing_codes WHERE code_hash = ?');
    this.markUsed = db.prepare('UPDATE pairing_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL');
    this.dropUnused = db.prepare('DELETE FROM pairing_codes WHERE member_id = ? AND used_at IS NULL');
    this.prune = db.prepare('DELETE FROM pairing_codes WHERE expires_at <= ?');
    this.limiter = new RateLimiter({ burst: 5, perSecond: 1 / 60, maxKeys: 5_000, now: () => ctx.clock.now() });
  }

  create(memberId: string, by: Actor): { code: string; expires_at: string } {
    const now = this.ctx.clock.now();
    const code = randomToken(8);
    const expires_at = isoTime(now + PAIRING_TTL_MS);
    this.ctx.audit.withEntry({ actor: by.id, origin: by.origin, kind: 'member.pairing_code.created', subject: memberId, data: { expires_at } }, () => {
      this.prune.run(isoTime(now));
      this.dropUnused.run(memberId);
      this.insert.run(sha256Hex(code), memberId, isoTime(now), expires_at);
    });
    return { code, expires_at };
  }

  redeem(code: string, telegramUserId: number): Member {
    if (!Number.isSafeInteger(telegramUserId) || telegramUserId <= 0)
      throw membersErrors.error('INVALID_TELEGRAM_USER', 'A Telegram user id is a positive whole number');
    const key = String(telegramUserId);
    const wait = this.limiter.retryAfter(key);
    if (wait > 0) throw membersErrors.error('RATE_LIMITED', `Too many pairing attempts; try again in ${wait} s`, { retry_after_s: wait });
    const normalized = String(code).trim().toLowerCase();
    const row = /^[0-9a-z]{8}$/.test(normalized) ? this.find.get(sha256Hex(normalized)) : undefined;
    const now = this.ctx.clock.now();
    const fail = (error: HearthError, reason: string): never => {
      this.limiter.take(key);
      this.ctx.audit.append({
        actor: 'anonymous',
        origin: 'telegram',
        kind: 'member.pairing.failed',
        subject: row?.member_id ?? null,
        data: { telegram_user_id: telegramUserId, reason },
      });
      throw error;
    };
    if (!row || row.used_at)
      return fail(membersErrors.error('PAIRING_CODE_INVALID', 'That pairing code is not valid; ask the owner for a new one'), row ? 'used' : 'unknown');
    if (Date.parse(row.expires_at) <= now) {
      return fail(membersErrors.error('PAIRING_CODE_EXPIRED', 'That pairing code has expired; ask the owner for a new one'), 'expired');
    }
    const member = this.repo.get(row.member_id);
    if (!member || member.disabled)
      return fail(membersErrors.error('PAIRING_CODE_INVALID', 'That pairing code is not valid; ask the owner for a new one'), 'member_unavailable');
    const other = this.repo.getByIdentity('telegram_chat', telegramUserId);
    if (other && other.id !== member.id) {
      throw conflict('TELEGRAM_ALREADY_PAIRED', 'This Telegram account is already linked to another member; the owner can unlink it first');
    }
    this.ctx.audit.withEntry(
      { actor: member.id, origin: 'telegram', kind: 'member.telegram_paired', subject: member.id, data: { telegram_user_id: telegramUserId } },
      () => {
        if (this.markUsed.run(isoTime(now), row.code_hash).changes !== 1) {
          throw membersErrors.error('PAIRING_CODE_INVALID', 'That pairing code is not valid; ask the owner for a new one');
        }
        this.repo.setIdentity(member.id, 'telegram_chat', telegramUserId, isoTime(now), isoTime(now));
      },
    );
    return toMember(this.repo.get(member.id)!);
  }
}
