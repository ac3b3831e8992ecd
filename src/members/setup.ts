import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HubContext } from '../part/context.js';
import { isoTime } from '../core/clock.js';
import { EXIT, FatalError, conflict } from '../core/errors.js';
import { humanCode, newId, safeEqual, sha256Hex } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { RateLimiter } from '../core/rate-limit.js';
import type { Member } from './model.js';
import { toMember, type MemberRepo, type MemberRow } from './repo.js';
import type { NewSession, SessionStore } from './sessions.js';
import { checkPasswordPolicy, hashPassword, hashPinSync } from './passwords.js';
import { limiter, RateLimitedError } from './login.js';
import type { SetupBody } from './schemas.js';
import { membersErrors } from './errors.js';

export const SETUP_CODE_FILE = 'setup-code';
const SETUP_DONE_KEY = 'setup_completed_at';
const CODE_FORMAT = /^\d{4}-\d{4}$/;

/**
 * First run (DESIGN): while the hub has no owner, a one-time setup code lives in
 * `<data>/setup-code` (0600) and is printed once on the console; `POST /api/v1/setup` with
 * it creates the first owner, and after that the route is closed for good.
 */
export class FirstRun {
  private codeHash: string | undefined;
  private readonly byIp: RateLimiter;
  /** All addresses together: 8 digits at ~6 guesses a minute outlast any attacker. */
  private readonly global: RateLimiter;
  /** Addresses that have sent a wrong code: only they wait for the global limit. */
  private readonly failedBefore = new Set<string>();
  private readonly auditRefusals: RateLimiter;
  private readonly log: Logger;
  readonly file: string;

  constructor(
    private readonly ctx: HubContext,
    private readonly repo: MemberRepo,
    private readonly sessions: SessionStore,
    private readonly print: (line: string) => void = (line) => void process.stdout.write(line),
  ) {
    this.file = join(ctx.dataDir, SETUP_CODE_FILE);
    this.byIp = limiter(ctx, 5, 1);
    this.global = limiter(ctx, 20, 6);
    this.auditRefusals = limiter(ctx, 1, 1);
    this.log = ctx.log.child({ part: 'members' });
  }

  /** True until the first owner exists. */
  needed(): boolean {
    return this.repo.state(SETUP_DONE_KEY) === undefined && this.repo.activeOwnerCount() === 0;
  }

  /** On start: make (or reuse, across restarts) the code while needed; remove a stale file otherwise. */
  prepare(): void {
    if (!this.needed()) {
      this.codeHash = undefined;
      if (existsSync(this.file)) rmSync(this.file, { force: true });
      return;
    }
    const code = this.readExisting() ?? humanCode();
    writeSecretFile(this.file, `${code}\n`);
    this.codeHash = sha256Hex(code.replace(/\D/g, ''));
    this.log.info({ file: this.file }, 'first run: no owner yet; the one-time setup code is in this file (and was printed on the console)');
    // The one intended plain print of the secret, for the person at the console (not the logger).
    this.print(
      `\nHearth first run. Setup code: ${code}\nUse it once to create the owner in the web UI or with POST /api/v1/setup. It is also in ${this.file}.\n\n`,
    );
  }

  async complete(body: SetupBody, client: { ip: string; user_agent?: string }): Promise<{ member: Member; session: NewSession }> {
    if (!this.needed() || !this.codeHash) throw conflict('SETUP_DONE', 'Setup is done; sign in instead');
    const address = addressKey(client.ip);
    // Addresses count separately: the global limit holds back only addresses that have guessed
    // wrong already, so a few noisy hosts cannot lock the owner's phone out of its first tries.
    // (An address here is an IPv4 address or an IPv6 /64, so one host cannot mint new ones.)
    const own = this.byIp.retryAfter(address);
    const global = this.failedBefore.has(address) ? this.global.retryAfter('all') : 0;
    if (own > 0 || global > 0) {
      if (this.auditRefusals.take(address)) this.audit('setup.failed', { ip: client.ip, reason: 'rate_limited' });
      throw new RateLimitedError(Math.max(own, global), own > 0 ? 'wrong setup codes from this device' : 'wrong setup codes on this network');
    }
    if (!safeEqual(sha256Hex(body.setup_code.replace(/\D/g, '')), this.codeHash)) {
      this.byIp.take(address);
      this.global.take('all');
      if (this.failedBefore.size >= 5_000) this.failedBefore.clear(); // bounded; at worst an address gets its first tries again
      this.failedBefore.add(address);
      this.audit('setup.failed', { ip: client.ip, reason: 'wrong_code' });
      this.log.warn({ ip: client.ip }, 'setup attempted with a wrong code');
      throw membersErrors.error('SETUP_CODE_INVALID', "That setup code is not right; it is in the setup-code file in the hub's data directory");
    }
    checkPasswordPolicy(body.password, body.username);
    const password_hash = await hashPassword(body.password);
    const now = isoTime(this.ctx.clock.now());
    const row: MemberRow = {
      id: newId('mem'),
      username: body.username,
      display_name: body.display_name,
      role: 'owner',
      password_hash,
      pin_hash: body.pin ? hashPinSync(body.pin) : null,
      phone: null,
      telegram_user_id: null,
      disabled: 0,
      created_at: now,
      updated_at: now,
    };
    const ttlMs = this.ctx.settings.get().http.session_ttl_hours * 3_600_000;
    const { result: session } = this.ctx.audit.withEntry(
      { actor: row.id, origin: 'web', kind: 'setup.completed', subject: row.id, data: { username: row.username, ip: client.ip } },
      () => {
        // Checked again inside the transaction: two correct requests at once make one owner.
        if (!this.needed()) throw conflict('SETUP_DONE', 'Setup is done; sign in instead');
        this.repo.insert(row);
        this.repo.setState(SETUP_DONE_KEY, now, now);
        return this.sessions.create(row.id, ttlMs, client);
      },
    );
    this.codeHash = undefined;
    rmSync(this.file, { force: true });
    this.log.info({ member_id: row.id, username: row.username }, 'first owner created; setup is closed');
    this.ctx.bus.emit('setup.completed', { member_id: row.id, session_id: session.id });
    return { member: toMember(row), session };
  }

  private readExisting(): string | undefined {
    try {
      const text = readFileSync(this.file, 'utf8').trim();
      return CODE_FORMAT.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  }

  private audit(kind: string, data: Record<string, unknown>): void {
    this.ctx.audit.append({ actor: 'anonymous', origin: 'web', kind, data });
  }
}

/** Writes a file only its owner can read, and checks that it really is so afterwards. */
export function writeSecretFile(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content, { mode: 0o600 });
    chmodSync(tmp, 0o600); // a leftover tmp file keeps its old mode through writeFileSync
    renameSync(tmp, path);
    if ((statSync(path).mode & 0o777) !== 0o600) chmodSync(path, 0o600);
    const mode = statSync(path).mode & 0o777;
    if (mode !== 0o600) throw new Error(`its mode is ${mode.toString(8)} and cannot be set to 600`);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new FatalError(`cannot write the setup code to ${path}: ${(err as Error).message}`, EXIT.cantCreate);
  }
}

/** An IPv4 address as it is; an IPv6 address by its /64 (a host picks freely within it). */
export function addressKey(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const groups = [
    ...head.split(':').filter(Boolean),
    ...Array(Math.max(0, 8 - head.split(':').filter(Boolean).length - tail.split(':').filter(Boolean).length)).fill('0'),
    ...tail.split(':').filter(Boolean),
  ];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
