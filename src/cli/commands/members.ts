import type Database from 'better-sqlite3';
import { EXIT, FatalError, HearthError } from '../../core/errors.js';
import { isoTime, systemClock } from '../../core/clock.js';
import { AuditTrail } from '../../audit/trail.js';
import { DataDirLock } from '../../store/lock.js';
import { MemberRepo, toMember } from '../../members/repo.js';
import { SessionStore } from '../../members/sessions.js';
import { passwordSchema, type Member } from '../../members/model.js';
import { checkPasswordPolicy, hashPassword } from '../../members/passwords.js';
import { parse, settingsOptions } from '../args.js';
import { dataDirFrom, openExistingDb, osActor } from '../data-dir.js';
import { askHidden } from '../prompt.js';

export const membersHelp = [
  'hearth members list [--data DIR]                 members: username, name, role, active or disabled (never a secret)',
  'hearth members reset-password USERNAME [--enable] [--data DIR]',
  '                                                 set a new password (asked twice on a terminal, else one line on stdin),',
  '                                                 end all their sessions, audited; the hub must be stopped. A disabled',
  '                                                 member is refused unless --enable, which re-enables them too',
].join('\n');

/**
 * Recovery for a household whose only owner forgot the password: whoever has a shell on the
 * box and can read the data directory can already read the database, so they may set a new
 * password here. Every reset is audited.
 */
export async function membersCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') {
    const { values, positionals } = parse(rest, settingsOptions);
    if (positionals.length > 0) throw new FatalError(`usage:\n${membersHelp}`, EXIT.usage);
    return list(dataDirFrom(values));
  }
  if (sub === 'reset-password') {
    const { values, positionals } = parse(rest, { ...settingsOptions, enable: { type: 'boolean' } });
    const username = positionals[0];
    if (!username || positionals.length > 1) throw new FatalError(`usage:\n${membersHelp}`, EXIT.usage);
    return resetPassword(dataDirFrom(values), username, Boolean(values.enable));
  }
  throw new FatalError(`usage:\n${membersHelp}`, EXIT.usage);
}

/** Read-only, so it may run beside a hub (WAL lets it read while the hub writes). */
function list(dataDir: string): number {
  const db = openMembersDb(dataDir);
  try {
    // toMember drops the hashes: only the schema's Member fields leave the repo.
    const members: Member[] = new MemberRepo(db).list({ include_disabled: true }).map(toMember);
    if (members.length === 0) {
      process.stdout.write(`no members yet: create the owner with the setup code (${dataDir}/setup-code)\n`);
      return EXIT.ok;
    }
    const rows = [
      ['USERNAME', 'NAME', 'ROLE', 'STATUS'],
      ...members.map((m) => [m.username, printable(m.display_name), m.role, m.disabled ? 'disabled' : 'active']),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(`${r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ')}\n`);
    return EXIT.ok;
  } finally {
    db.close();
  }
}

async function resetPassword(dataDir: string, username: string, enable: boolean): Promise<number> {
  // The hub must be stopped: it authorises an event stream once, when it opens, and closes a
  // member's streams on a new password only through its in-memory bus, which this process cannot
  // reach. Sessions, tokens and password hashes it reads from SQLite on each request.
  const lock = new DataDirLock(dataDir);
  try {
    lock.acquire();
  } catch (err) {
    if (err instanceof FatalError && err.exitCode === EXIT.tempFail) {
      throw new FatalError(
        `${err.message}.\nreset-password needs the hub stopped (it would keep the member's open event streams, which only it can close): ` +
          'sudo systemctl stop hearth, reset, then start it again. Nothing was changed',
        EXIT.tempFail,
      );
    }
    throw err;
  }
  let db: Database.Database | undefined;
  try {
    db = openMembersDb(dataDir);
    const repo = new MemberRepo(db);
    const row = repo.getByUsername(username);
    if (!row) throw new FatalError(`no member is called "${username}" (see \`hearth members list\`); nothing was changed`, EXIT.dataErr);
    const wasDisabled = row.disabled === 1;
    if (wasDisabled && !enable) {
      throw new FatalError(
        `${row.username} is disabled, so a new password alone would not let them sign in; pass --enable to re-enable them as well, or leave them disabled. Nothing was changed`,
        EXIT.failure,
      );
    }
    const password = await readNewPassword(row.username);
    checkPassword(password, row.username);
    const password_hash = await hashPassword(password);

    const sessions = new SessionStore(db, systemClock);
    const audit = new AuditTrail(db, systemClock);
    const memberId = row.id;
    // One transaction: the new hash, the re-enable, the closed sessions and the entry land together.
    const { result: closed } = audit.withEntry(
      { actor: osActor(), origin: 'cli', kind: 'member.password_reset', subject: memberId, data: { username: row.username, re_enabled: wasDisabled } },
      () => {
        if (!repo.get(memberId)) throw new FatalError(`${row.username} was removed meanwhile; nothing was changed`, EXIT.dataErr);
        repo.update(memberId, { password_hash, ...(wasDisabled ? { disabled: 0 } : {}) }, isoTime(systemClock.now()));
        // What the API's password change does (MembersService.apply), minus keeping the caller's session: there is none here.
        return sessions.deleteForMember(memberId);
      },
    );
    process.stdout.write(
      `new password set for ${row.username}${wasDisabled ? ' (re-enabled)' : ''}; ${closed} session${closed === 1 ? '' : 's'} ended; recorded in the audit trail as member.password_reset\n`,
    );
    return EXIT.ok;
  } finally {
    db?.close();
    lock.release();
  }
}

/** The API's rules: the policy in passwords.ts (named reasons), then the schema's bounds. */
function checkPassword(password: string, username: string): void {
  try {
    checkPasswordPolicy(password, username);
  } catch (err) {
    if (err instanceof HearthError) throw new FatalError(`${lowerFirst(err.message)}; nothing was changed`, EXIT.usage);
    throw err;
  }
  const parsed = passwordSchema.safeParse(password);
  if (!parsed.success)
    throw new FatalError(`the password is refused (${parsed.error.issues.map((i) => i.message).join('; ')}); nothing was changed`, EXIT.usage);
}

/**
 * Never from argv (shell history, `ps`): asked twice without echo on a terminal, as the backup
 * passphrase is; otherwise the first line of stdin, for scripts (`… < file`).
 */
async function readNewPassword(username: string): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await askHidden(`New password for ${username}: `);
    const again = await askHidden('Same password again: ');
    if (again !== first) throw new FatalError('the two passwords differ; nothing was changed', EXIT.usage);
    return first;
  }
  const line = await firstLineOfStdin();
  if (!line) throw new FatalError('no password: give it as one line on stdin, or run this on a terminal to be asked; nothing was changed', EXIT.usage);
  return line;
}

/** Stops at the first newline; a longer line than any valid password is cut and then refused by the length rule. */
async function firstLineOfStdin(limit = 4096): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl).replace(/\r$/, '');
    if (text.length > limit) break;
  }
  return text.replace(/\r$/, '');
}

function openMembersDb(dataDir: string): Database.Database {
  const db = openExistingDb(dataDir);
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'members'").get()) {
    db.close();
    throw new FatalError(`the database in ${dataDir} has no members table yet: start the hub once first`, EXIT.dataErr);
  }
  return db;
}

/** Display names are typed by people: no terminal control sequences on the operator's screen. */
const printable = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
