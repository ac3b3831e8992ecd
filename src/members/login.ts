import type { HubContext } from '../part/context.js';
import { HearthError, unauthorized } from '../core/errors.js';
import { RateLimiter } from '../core/rate-limit.js';
import type { Logger } from '../core/logger.js';
import type { Member } from './model.js';
import { toMember, type MemberRepo } from './repo.js';
import type { NewSession, SessionStore } from './sessions.js';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './passwords.js';

export interface LoginAttempt {
  username: string;
  password: string;
  ip: string;
  user_agent?: string;
}

/** A refused attempt, with the seconds to wait (the route sends them as Retry-After). */
export class RateLimitedError extends HearthError {
  constructor(
    readonly retryAfterS: number,
    what = 'sign-in attempts',
  ) {
    super('RATE_LIMITED', `Too many ${what}; try again in ${retryAfterS} s`, 429, { retry_after_s: retryAfterS });
  }
}

/** Limiters that key on client input are bounded (RateLimiter forgets the oldest keys). */
export const limiter = (ctx: HubContext, burst: number, perMinute: number): RateLimiter =>
  new RateLimiter({ burst, perSecond: perMinute / 60, maxKeys: 5_000, now: () => ctx.clock.now() });

/**
 * Password sign-in. The same answer for an unknown user, a wrong password and a disabled
 * account, and the same scrypt work for each, so that nothing tells which usernames exist.
 * Limited per username (5, then one a minute) and per address (20, then four a minute: a
 * home behind one proxy address shares it).
 */
export class LoginService {
  private readonly byUser: RateLimiter;
  private readonly byIp: RateLimiter;
  /** A refused burst writes one audit entry a minute per key, not one per request. */
  private readonly auditRefusals: RateLimiter;
  private readonly log: Logger;

  constructor(
    private readonly ctx: HubContext,
    private readonly repo: MemberRepo,
    private readonly sessions: SessionStore,
  ) {
    this.byUser = limiter(ctx, 5, 1);
    this.byIp = limiter(ctx, 20, 4);
    this.auditRefusals = limiter(ctx, 1, 1);
    this.log = ctx.log.child({ part: 'members' });
  }

  async login(attempt: LoginAttempt): Promise<{ member: Member; session: NewSession }> {
    const username = attempt.username.trim().slice(0, 64);
    const userKey = `u:${username.toLowerCase()}`;
    const ipKey = `ip:${attempt.ip}`;
    const wait = Math.max(this.byUser.retryAfter(userKey), this.byIp.retryAfter(ipKey));
    if (wait > 0) {
      if (this.auditRefusals.take(`${userKey}|${ipKey}`)) this.failed(username, attempt.ip, 'rate_limited');
      throw new RateLimitedError(wait);
    }
    const row = this.repo.getByUsername(username);
    let reason: string | undefined;
    if (!row || !row.password_hash) {
      await burnPasswordCheck(attempt.password);
      reason = row ? 'no_password' : 'unknown_user';
    } else if (!(await verifyPassword(attempt.password, row.password_hash))) {
      reason = 'wrong_password';
    } else if (row.disabled) {
      reason = 'disabled';
    }
    if (reason || !row) {
      this.byUser.take(userKey);
      this.byIp.take(ipKey);
      this.failed(username, attempt.ip, reason ?? 'unknown_user', row?.id);
      throw unauthorized('Wrong username or password', 'INVALID_CREDENTIALS');
    }
    this.byUser.reset(userKey);
    const ttlMs = this.ctx.settings.get().http.session_ttl_hours * 3_600_000;
    const session = this.ctx.audit.withEntry(
      { actor: row.id, origin: 'web', kind: 'auth.login', subject: row.id, data: { username: row.username, ip: attempt.ip } },
      () => this.sessions.create(row.id, ttlMs, { ip: attempt.ip, user_agent: attempt.user_agent }),
    ).result;
    if (needsRehash(row.password_hash!)) void this.rehash(row.id, attempt.password);
    return { member: toMember(row), session };
  }

  /** Raises an old hash to the current scrypt cost while the password is at hand. */
  private async rehash(memberId: string, password: string): Promise<void> {
    try {
      const hash = await hashPassword(password);
      this.repo.update(memberId, { password_hash: hash }, new Date(this.ctx.clock.now()).toISOString());
    } catch (err) {
      this.log.warn({ member_id: memberId, err: (err as Error).message }, 'could not re-hash a password');
    }
  }

  private failed(username: string, ip: string, reason: string, memberId?: string): void {
    this.ctx.audit.append({ actor: 'anonymous', origin: 'web', kind: 'auth.login.failed', subject: memberId ?? null, data: { username, ip, reason } });
    this.log.info({ username, ip, reason }, 'sign-in failed');
  }
}
