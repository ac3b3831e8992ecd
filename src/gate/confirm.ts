import type { Statement } from 'better-sqlite3';
import type { HubContext } from '../part/context.js';
import { isoTime } from '../core/clock.js';
import type { Origin } from '../audit/entry.js';

/** Windows kept at most; a home has a handful of owners, each with a few sign-ins. */
const MAX_WINDOWS = 500;

/**
 * "sudo" for the hub's own changes: once an owner has confirmed with their PIN through a web
 * sign-in, further hub changes from that same sign-in need no PIN for
 * `policy.hub_changes.confirm_minutes`. Bound to the session (another browser, an API token or
 * a Telegram chat never shares it; signing out ends it), kept in the database so that a restart
 * neither extends nor forgets it, and each opening is an audit entry.
 */
export class ConfirmWindows {
  private readonly upsert: Statement;
  private readonly lookup: Statement;
  private readonly prune: Statement;
  private readonly trim: Statement;
  private readonly remove: Statement;
  private readonly off: () => void;

  constructor(private readonly ctx: HubContext) {
    const db = ctx.store.db;
    this.upsert = db.prepare(
      'INSERT INTO confirm_windows (session_id, member_id, until_ms) VALUES (?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET member_id = excluded.member_id, until_ms = excluded.until_ms',
    );
    this.lookup = db.prepare('SELECT member_id, until_ms FROM confirm_windows WHERE session_id = ?');
    this.prune = db.prepare('DELETE FROM confirm_windows WHERE until_ms <= ?');
    this.trim = db.prepare(
      `DELETE FROM confirm_windows WHERE session_id NOT IN (SELECT session_id FROM confirm_windows ORDER BY until_ms DESC LIMIT ${MAX_WINDOWS})`,
    );
    this.remove = db.prepare('DELETE FROM confirm_windows WHERE session_id = ?');
    this.off = ctx.bus.on('session.ended', ({ session_id }) => this.remove.run(session_id));
  }

  /** Opens (or extends) the window of one sign-in after a PIN it proved; audited. */
  open(memberId: string, sessionId: string | undefined, channel: Origin, reason: 'pin' | 'first_run' | 'password'): void {
    const minutes = this.ctx.settings.get().policy.hub_changes.confirm_minutes;
    if (!sessionId || minutes <= 0) return;
    const now = this.ctx.clock.now();
    const until = now + minutes * 60_000;
    this.ctx.audit.withEntry(
      { actor: memberId, origin: channel, kind: 'auth.confirm_window.opened', subject: memberId, data: { reason, until: isoTime(until), minutes } },
      () => {
        this.prune.run(now);
        this.upsert.run(sessionId, memberId, until);
        this.trim.run();
      },
    );
  }

  /** Whether this member's sign-in confirmed with the PIN recently enough. */
  covers(memberId: string, sessionId: string | undefined): boolean {
    if (!sessionId) return false;
    const w = this.lookup.get(sessionId) as { member_id: string; until_ms: number } | undefined;
    return w !== undefined && w.member_id === memberId && w.until_ms > this.ctx.clock.now();
  }

  stop(): void {
    this.off();
  }
}
