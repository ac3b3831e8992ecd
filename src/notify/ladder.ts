import type { Member } from '../members/model.js';
import { notifySettings, viaOf, type Enqueuer, type RouterCore } from './enqueue.js';
import type { NotificationRow } from './outbox.js';

/**
 * The escalation ladder: unacknowledged urgent notifications and approvals go to the next rung
 * that adds someone: new people on their first channel, or (`channel:<name>`) the people
 * reached so far on one more.
 */
export class Ladder {
  constructor(
    private readonly core: RouterCore,
    private readonly enqueue: Enqueuer,
  ) {}

  /** Climbs every ladder that is due; the pump calls it on each pass. */
  escalate(): void {
    const { ctx, outbox, members, log } = this.core;
    const now = ctx.clock.now();
    const s = notifySettings(this.core);
    for (const n of outbox.dueEscalations(now)) {
      const have = new Set(outbox.deliveriesOf(n.id).map((d) => d.member_id));
      let climbed = false;
      const meta = metaOf(n);
      const ladder = meta.ladder ?? s.escalation_ladder;
      for (let i = n.step + 1; i < ladder.length && !climbed; i++) {
        const rung = ladder[i]!;
        const channel = rung.startsWith('channel:') ? rung.slice('channel:'.length) : viaOf(rung);
        const next = rung.startsWith('channel:')
          ? [...have].map((id) => members.get(id)).filter((m): m is Member => m !== undefined && !m.disabled)
          : this.enqueue.rungMembers(rung, meta.exclude, meta.ladder_roles).filter((m) => !have.has(m.id));
        if (next.length === 0) continue;
        const added = outbox.transaction(() => next.filter((m) => this.enqueue.addDelivery(n, m, i, now, channel)));
        if (added.length === 0) continue;
        outbox.setEscalation(n.id, i, now + s.escalation_step_minutes * 60_000, now);
        log.info({ notification: n.id, rung, members: added.map((m) => m.id) }, 'escalated');
        ctx.audit.append({
          actor: 'system',
          origin: 'system',
          kind: 'notify.escalated',
          subject: n.subject ?? n.id,
          data: { notification: n.id, rung, members: added.map((m) => m.id) },
        });
        climbed = true;
      }
      if (!climbed) outbox.setEscalation(n.id, n.step, null, now); // the ladder is exhausted; it stays open
    }
  }
}

const metaOf = (n: NotificationRow): { exclude: string[]; ladder_roles?: Member['role'][]; ladder?: string[] } => {
  try {
    const m = JSON.parse(n.meta) as { exclude?: string[]; ladder_roles?: Member['role'][]; ladder?: string[] };
    return { exclude: m.exclude ?? [], ladder_roles: m.ladder_roles, ladder: m.ladder };
  } catch {
    return { exclude: [] };
  }
};
