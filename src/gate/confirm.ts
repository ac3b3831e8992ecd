import type { HubContext } from '../core/context.js';
import { isoTime } from '../core/clock.js';
import type { Origin } from '../audit/entry.js';

/** Live windows kept at most; a home has a handful of owners, each with a few sign-ins. */
const MAX_WINDOWS = 500;

/**
 * "sudo" for the hub's own changes: once an owner has confirmed with their PIN through a web
 * sign-in, further hub changes from that same sign-in need no PIN for
 * `policy.hub_changes.confirm_minutes`. Bound to the session (another browser, an API token or
 * a Telegram chat never shares it), kept in memory (a restart ends every window), and each
 * opening is an audit entry.
 */
export class ConfirmWindows {
  private readonly windows = new Map<string, { member_id: string; until: number }>();
  private readonly off: () => void;

  constructor(private readonly ctx: HubContext) {
    this.off = ctx.bus.on('session.ended', ({ session_id }) => this.windows.delete(session_id));
  }

  /** Opens (or extends) the window of one sign-in after a PIN it proved; audited. */
  open(memberId: string, sessionId: string | undefined, channel: Origin, reason: 'pin' | 'first_run'): void {
    const minutes = this.ctx.settings.get().policy.hub_changes.confirm_minutes;
    if (!sessionId || minutes <= 0) return;
    const now = this.ctx.clock.now();
    const until = now + minutes * 60_000;
    this.prune(now);
    if (this.windows.size >= MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
    this.windows.delete(sessionId); // re-inserted last: the map stays in opening order
    this.windows.set(sessionId, { member_id: memberId, until });
    this.ctx.audit.append({ actor: memberId, origin: channel, kind: 'auth.confirm_window.opened', subject: memberId, data: { reason, until: isoTime(until), minutes } });
  }

  /** Whether this member's sign-in confirmed with the PIN recently enough. */
  covers(memberId: string, sessionId: string | undefined): boolean {
    if (!sessionId) return false;
    const w = this.windows.get(sessionId);
    return w !== undefined && w.member_id === memberId && w.until > this.ctx.clock.now();
  }

  stop(): void {
    this.off();
    this.windows.clear();
  }

  private prune(now: number): void {
    for (const [id, w] of this.windows) if (w.until <= now) this.windows.delete(id);
  }
}
