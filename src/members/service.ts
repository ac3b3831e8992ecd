import type { HubContext } from '../part/context.js';
import type { Origin } from '../audit/entry.js';
import { isoTime } from '../core/clock.js';
import { HearthError, conflict, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { RateLimiter } from '../core/rate-limit.js';
import type { Logger } from '../core/logger.js';
import type { IdentityKind, Member, MemberFilter, MemberSummary, MemberView, Principal } from './model.js';
import { toE164 } from './model.js';
import { MemberRepo, toMember, type MemberChange, type MemberRow } from './repo.js';
import type { SessionStore } from './sessions.js';
import { checkPasswordPolicy, hashPassword, hashPinSync, verifyPassword, verifyPinSync } from './passwords.js';
import type { CreateMemberBody, UpdateMemberBody, UpdateSelfBody } from './schemas.js';
import { PairingCodes } from './pairing.js';
import { membersErrors } from './errors.js';

declare module '../core/bus.js' {
  interface HubEvents {
    /** A member was created, changed, deleted or paired with Telegram (no secrets in here). */
    'member.changed': { member_id: string; change: 'created' | 'updated' | 'deleted' | 'paired'; fields?: string[] };
  }
}

/** Who asks for a change, for the audit trail. */
export interface Actor {
  id: string;
  origin: Origin;
}

export const actorOf = (p: Principal): Actor => ({ id: p.member_id, origin: p.via === 'token' ? 'api' : 'web' });

/** Wrong PINs allowed per member before a lock; one more every 3 minutes after (≈5 per 15 min). */
const PIN_BURST = 5;
const PIN_REFILL_PER_S = 5 / (15 * 60);

/**
 * People: the one place that creates, changes and removes members, checks PINs and pairs
 * Telegram accounts. Other parts (the gate, the channels) read members through here.
 */
export class MembersService {
  readonly repo: MemberRepo;
  private readonly pinLimiter: RateLimiter;
  /** Guesses at the current password through PATCH are limited like logins. */
  private readonly currentPasswordLimiter: RateLimiter;
  private readonly pairing: PairingCodes;
  private readonly log: Logger;

  constructor(
    private readonly ctx: HubContext,
    private readonly sessions: SessionStore,
  ) {
    this.repo = new MemberRepo(ctx.store.db);
    this.log = ctx.log.child({ part: 'members' });
    this.pinLimiter = new RateLimiter({ burst: PIN_BURST, perSecond: PIN_REFILL_PER_S, maxKeys: 5_000, now: () => ctx.clock.now() });
    this.currentPasswordLimiter = new RateLimiter({ burst: 5, perSecond: 1 / 60, maxKeys: 5_000, now: () => ctx.clock.now() });
    this.pairing = new PairingCodes(ctx, this.repo);
    this.replayRecentPinFailures();
  }

  /**
   * A restart must not hand out fresh PIN guesses: the wrong PINs of the last lock-out window
   * are in the audit trail, so they are spent again, each at its own time.
   */
  private replayRecentPinFailures(): void {
    const windowMs = (PIN_BURST / PIN_REFILL_PER_S) * 1000;
    const since = isoTime(this.ctx.clock.now() - windowMs);
    // Newest first and bounded: 500 wrong PINs in 15 minutes lock every member they name anyway.
    const { entries } = this.ctx.audit.list({ kind: 'auth.pin.failed', since, limit: 500 });
    for (const e of entries.reverse()) if (e.subject && e.data.reason === 'wrong_pin') this.pinLimiter.take(e.subject, 1, Date.parse(e.at));
  }

  get(id: string): Member | undefined {
    const row = this.repo.get(id);
    return row ? toMember(row) : undefined;
  }

  /** Case-insensitive, as usernames are unique regardless of case. */
  getByUsername(username: string): Member | undefined {
    const row = this.repo.getByUsername(username);
    return row ? toMember(row) : undefined;
  }

  /** Active members by default; `include_disabled` adds the disabled ones. */
  list(filter: MemberFilter = {}): Member[] {
    return this.repo.list(filter).map(toMember);
  }

  publicView(member: Member): MemberView {
    return { ...member };
  }

  summaryView(member: Member): MemberSummary {
    return { id: member.id, username: member.username, display_name: member.display_name, role: member.role };
  }

  hasPin(memberId: string): boolean {
    return this.repo.get(memberId)?.pin_hash != null;
  }

  /**
   * Step-up check for approvals. False for a wrong PIN (audited as `auth.pin.failed`) or a
   * member with no PIN; after 5 wrong PINs in about 15 minutes it throws PIN_LOCKED (429)
   * without looking at the PIN. Synchronous on purpose: a forgotten `await` on a promise
   * would read as "PIN correct".
   */
  verifyPin(memberId: string, pin: string, channel: Origin): boolean {
    const key = memberId;
    const wait = this.pinLimiter.retryAfter(key);
    if (wait > 0) throw membersErrors.error('PIN_LOCKED', `Too many wrong PINs; try again in ${Math.ceil(wait / 60)} min`, { retry_after_s: wait });
    const row = this.repo.get(memberId);
    if (!row || row.disabled) return false;
    if (!row.pin_hash) {
      this.ctx.audit.append({ actor: memberId, origin: channel, kind: 'auth.pin.failed', subject: memberId, data: { channel, reason: 'no_pin' } });
      return false;
    }
    if (typeof pin === 'string' && /^\d{4,8}$/.test(pin) && verifyPinSync(pin, row.pin_hash)) return true;
    this.pinLimiter.take(key);
    this.ctx.audit.append({ actor: memberId, origin: channel, kind: 'auth.pin.failed', subject: memberId, data: { channel, reason: 'wrong_pin' } });
    if (this.pinLimiter.retryAfter(key) > 0) {
      this.ctx.audit.append({ actor: memberId, origin: channel, kind: 'auth.pin.locked', subject: memberId, data: { channel } });
      this.log.warn({ member_id: memberId, channel }, 'PIN locked after repeated wrong PINs');
    }
    return false;
  }

  async create(input: CreateMemberBody, by: Actor): Promise<Member> {
    const { row, fields } = await this.newMember(input);
    return this.insertMember(row, fields, by);
  }

  /**
   * A new member checked and hashed, not yet stored: the gate carries it in an envelope until
   * the change is approved (the hashes, never the password or PIN).
   */
  async newMember(input: CreateMemberBody): Promise<{ row: MemberRow; fields: string[] }> {
    if (input.password) checkPasswordPolicy(input.password, input.username);
    if (this.repo.getByUsername(input.username)) throw membersErrors.error('USERNAME_TAKEN', `The username ${input.username} is taken`, undefined, 'username');
    const password_hash = input.password ? await hashPassword(input.password) : null;
    const now = isoTime(this.ctx.clock.now());
    const row: MemberRow = {
      id: newId('mem'),
      username: input.username,
      display_name: input.display_name,
      role: input.role,
      password_hash,
      pin_hash: input.pin ? hashPinSync(input.pin) : null,
      phone: input.phone === undefined ? null : this.phone(input.phone),
      telegram_user_id: null,
      disabled: 0,
      created_at: now,
      updated_at: now,
    };
    const fields = ['username', 'display_name', 'role', ...(['password', 'pin', 'phone'] as const).filter((k) => input[k] !== undefined)];
    return { row, fields };
  }

  /** Stores a member made by newMember (now, or when its envelope is approved). */
  insertMember(row: MemberRow, fields: string[], by: Actor): Member {
    const now = isoTime(this.ctx.clock.now());
    const stored = { ...row, created_at: now, updated_at: now };
    try {
      this.ctx.audit.withEntry(
        { actor: by.id, origin: by.origin, kind: 'member.created', subject: row.id, data: { username: row.username, role: row.role, fields } },
        () => this.repo.insert(stored),
      );
    } catch (err) {
      throw uniqueConflict(err, row.username);
    }
    this.ctx.bus.emit('member.changed', { member_id: row.id, change: 'created', fields });
    return toMember(stored);
  }

  /**
   * The owner's change to any member. Changing one's own password or PIN needs the current
   * password, so a borrowed session cannot lock the owner out.
   */
  async update(id: string, input: UpdateMemberBody, by: Actor & { session_id?: string }): Promise<Member> {
    const change = await this.prepareUpdate(id, input, by);
    return this.applyChange(id, change, by, by.id === id ? by.session_id : undefined);
  }

  /** An owner's change checked and hashed, not yet applied (see newMember). */
  async prepareUpdate(id: string, input: UpdateMemberBody, by: Actor): Promise<MemberChange> {
    const row = this.requireRow(id);
    const self = by.id === id;
    if (self && (input.password !== undefined || input.pin !== undefined)) await this.checkCurrentPassword(row, input.current_password);
    const change: MemberChange = {};
    if (input.username !== undefined && input.username !== row.username) {
      const other = this.repo.getByUsername(input.username);
      if (other && other.id !== id) throw membersErrors.error('USERNAME_TAKEN', `The username ${input.username} is taken`, undefined, 'username');
      change.username = input.username;
    }
    if (input.display_name !== undefined) change.display_name = input.display_name;
    if (input.role !== undefined) change.role = input.role;
    if (input.disabled !== undefined) change.disabled = input.disabled ? 1 : 0;
    if (input.phone !== undefined) change.phone = input.phone === null ? null : this.phone(input.phone);
    if (input.telegram_user_id === null) change.telegram_user_id = null;
    if (input.pin !== undefined) change.pin_hash = input.pin === null ? null : hashPinSync(input.pin);
    if (input.password !== undefined) {
      checkPasswordPolicy(input.password, change.username ?? row.username);
      change.password_hash = await hashPassword(input.password);
    }
    return change;
  }

  /** Whether a change (or a removal) would leave the hub without an active owner; checked again when applied. */
  leavesNoOwner(id: string, change: MemberChange | 'delete'): boolean {
    const row = this.requireRow(id);
    if (row.role !== 'owner' || row.disabled) return false;
    const loses = change === 'delete' || (change.role !== undefined && change.role !== 'owner') || change.disabled === 1;
    return loses && this.repo.activeOwnerCount() <= 1;
  }

  /** A member's change to themselves: name, phone, and (with the current password) password and PIN. */
  async updateSelf(principal: Principal, input: UpdateSelfBody): Promise<Member> {
    const row = this.requireRow(principal.member_id);
    if (input.password !== undefined || input.pin !== undefined) await this.checkCurrentPassword(row, input.current_password);
    const change: MemberChange = {};
    if (input.display_name !== undefined) change.display_name = input.display_name;
    if (input.phone !== undefined) change.phone = input.phone === null ? null : this.phone(input.phone);
    if (input.pin !== undefined) change.pin_hash = input.pin === null ? null : hashPinSync(input.pin);
    if (input.password !== undefined) {
      checkPasswordPolicy(input.password, row.username);
      change.password_hash = await hashPassword(input.password);
    }
    return this.applyChange(row.id, change, { ...actorOf(principal) }, principal.session_id);
  }

  /** A phone number as typed, in E.164 with the home's country (hub.country); VALIDATION_FAILED (field "phone") beside the field otherwise. */
  private phone(raw: string): string {
    return toE164(raw, this.ctx.settings.get().hub.country ?? undefined);
  }

  async remove(id: string, by: Actor): Promise<void> {
    const row = this.requireRow(id);
    try {
      this.ctx.audit.withEntry(
        { actor: by.id, origin: by.origin, kind: 'member.deleted', subject: id, data: { username: row.username, role: row.role } },
        () => {
          if (row.role === 'owner' && !row.disabled && this.repo.activeOwnerCount() <= 1) throw lastOwner();
          this.repo.delete(id); // sessions, tokens and pairing codes go with it (ON DELETE CASCADE)
        },
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw conflict('MEMBER_IN_USE', 'Other records still refer to this member; disable the member instead');
      }
      throw err;
    }
    this.ctx.bus.emit('member.changed', { member_id: id, change: 'deleted' });
  }

  /** A one-time code (15 minutes) that the member sends to the Telegram bot to link their account. */
  createPairingCode(memberId: string, by: Actor): { code: string; expires_at: string } {
    this.requireRow(memberId);
    return this.pairing.create(memberId, by);
  }

  /** For the Telegram channel: binds `telegramUserId` to the member the code was made for. */
  redeemPairingCode(code: string, telegramUserId: number): Member {
    const member = this.pairing.redeem(code, telegramUserId);
    this.ctx.bus.emit('member.changed', { member_id: member.id, change: 'paired' });
    return member;
  }

  /** The active member linked to a Telegram account; disabled members are not found. */
  byTelegramUserId(telegramUserId: number): Member | undefined {
    return this.findMemberByIdentity('telegram_chat', telegramUserId);
  }

  /**
   * "Who is this": the active member an address belongs to (a Telegram chat, a phone number in
   * any usual spelling, normalised to E.164), for channels that know only the address.
   */
  findMemberByIdentity(kind: IdentityKind, value: string | number): Member | undefined {
    const row = this.repo.getByIdentity(kind, value);
    return row && !row.disabled ? toMember(row) : undefined;
  }

  /** Applies a checked change with its audit entry; the last active owner is never lost. */
  applyChange(id: string, change: MemberChange, by: Actor, keepSession?: string): Member {
    const fields = Object.keys(change).map((k) => k.replace(/_hash$/, ''));
    if (fields.length === 0) return toMember(this.requireRow(id));
    const data: Record<string, unknown> = { changed: fields };
    if (change.role !== undefined) data.role = change.role;
    if (change.disabled !== undefined) data.disabled = change.disabled === 1;
    try {
      this.ctx.audit.withEntry({ actor: by.id, origin: by.origin, kind: 'member.updated', subject: id, data }, () => {
        const current = this.requireRow(id);
        const losesOwner = current.role === 'owner' && !current.disabled && ((change.role !== undefined && change.role !== 'owner') || change.disabled === 1);
        if (losesOwner && this.repo.activeOwnerCount() <= 1) throw lastOwner();
        this.repo.update(id, change, isoTime(this.ctx.clock.now()));
        // A new password or a disabled account ends the other sign-ins.
        if (change.password_hash !== undefined || change.disabled === 1) this.sessions.deleteForMember(id, keepSession);
      });
    } catch (err) {
      throw uniqueConflict(err, change.username ?? '');
    }
    this.ctx.bus.emit('member.changed', { member_id: id, change: 'updated', fields });
    return toMember(this.requireRow(id));
  }

  private async checkCurrentPassword(row: MemberRow, current: string | undefined): Promise<void> {
    if (!row.password_hash) return; // nothing to prove with (a member without a password)
    if (!current) throw membersErrors.error('CURRENT_PASSWORD_REQUIRED', 'Give your current password (current_password) to change your password or PIN');
    const wait = this.currentPasswordLimiter.retryAfter(row.id);
    if (wait > 0) throw membersErrors.error('RATE_LIMITED', `Too many wrong passwords; try again in ${wait} s`, { retry_after_s: wait });
    if (!(await verifyPassword(current, row.password_hash))) {
      this.currentPasswordLimiter.take(row.id);
      this.ctx.audit.append({ actor: row.id, origin: 'web', kind: 'auth.password.failed', subject: row.id, data: { reason: 'wrong_current_password' } });
      throw membersErrors.error('CURRENT_PASSWORD_WRONG', 'The current password is wrong', undefined, 'current_password');
    }
  }

  private requireRow(id: string): MemberRow {
    const row = this.repo.get(id);
    if (!row) throw notFound('member', id);
    return row;
  }
}

export const lastOwner = (): HearthError => conflict('LAST_OWNER', 'The hub needs at least one active owner; make someone else an owner first');

function uniqueConflict(err: unknown, username: string): unknown {
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && e.message?.includes('members.username')) {
    return membersErrors.error('USERNAME_TAKEN', `The username ${username} is taken`, undefined, 'username');
  }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && e.message?.includes('member_identities')) {
    return conflict('IDENTITY_TAKEN', 'That phone number or chat belongs to another member');
  }
  return err;
}
