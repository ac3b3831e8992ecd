import { errorMessage } from '../core/errors.js';
import { RateLimiter } from '../core/rate-limit.js';
import { commitsFor } from '../store/commits.js';
import { notifySettings, type RouterCore } from './enqueue.js';
import type { Ladder } from './ladder.js';
import { ChannelError, type NotificationChannel, type OutgoingMessage } from './model.js';
import { actionsOf, type DeliveryRow } from './outbox.js';

const MAX_IN_FLIGHT = 16;

/** A delivery claimed for sending: its channel, its row, and the message. */
interface Claimed {
  channel: NotificationChannel;
  d: DeliveryRow;
  message: OutgoingMessage;
}

/**
 * The send pump: on each pass it climbs the ladders, sends what is due (held messages are
 * released by their time, each person's rate is kept) and prunes old rows. Passes are
 * coalesced; a timer makes one every `notify.tick_ms`, and any change kicks one.
 */
export class SendPump {
  private readonly limiter: RateLimiter;
  private readonly inFlight = new Set<string>();
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private pumping?: Promise<void>;
  private again = false;
  private running = false;
  private lastPrune = 0;
  /** The last send error, cleared by the next success (health). */
  lastError?: string;

  constructor(
    private readonly core: RouterCore,
    private readonly ladder: Ladder,
  ) {
    const s = notifySettings(core);
    this.limiter = new RateLimiter({ burst: s.per_member_burst, perSecond: s.per_member_per_minute / 60, maxKeys: 2_000, now: () => core.ctx.clock.now() });
  }

  start(): void {
    this.running = true;
    this.timer = setInterval(() => this.kick(), notifySettings(this.core).tick_ms);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    await this.pumping; // sends in flight finish and record their result before the store closes
  }

  /** Runs a pump pass soon; coalesces calls. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      void this.tick();
    });
  }

  /** One pass: release held messages, send due ones, climb ladders, prune. */
  tick(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          this.ladder.escalate();
          await this.sendDue();
          this.prune();
        } while (this.again && this.running);
      } catch (err) {
        this.core.log.error({ err: errorMessage(err) }, 'notification pump failed');
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  /**
   * Sends what is due, never before its rows are on disk. The rows are claimed (marked
   * `sending`) in the turn's group commit, read inside it: every row that commit can see was
   * committed before it or in it, and its fsync, of the whole WAL file, returns only once all
   * of them are on disk (a power cut can then neither lose a message that was sent nor send
   * one twice from a rolled-back row). The results are recorded in group commits too; the pass
   * ends once they are on disk. A crash in between leaves rows `sending`, which start() sends
   * again (at-least-once).
   */
  private async sendDue(): Promise<void> {
    const { ctx, outbox } = this.core;
    // A look first, outside any commit: most passes find nothing and make no commit at all.
    if (!outbox.due(ctx.clock.now(), 200).some((d) => !this.inFlight.has(d.id))) return;
    const commits = commitsFor(ctx.store.db);
    let batch: Claimed[];
    try {
      batch = await commits.later(() => this.claim());
    } catch (err) {
      // Not on disk: nothing was sent; the rows it marked go back to the queue.
      outbox.transaction(() => outbox.requeueSending(ctx.clock.now()));
      throw err;
    }
    const results: (() => void)[] = [];
    const written: Promise<void>[] = [];
    const flush = () => {
      const writes = results.splice(0);
      if (writes.length) written.push(commits.later(() => writes.forEach((write) => write())));
    };
    const running = new Set<Promise<void>>();
    for (const item of batch) {
      while (running.size >= MAX_IN_FLIGHT) await Promise.race(running);
      if (results.length >= 50) flush();
      this.inFlight.add(item.d.id);
      const p: Promise<void> = this.sendOne(item.channel, item.d, item.message)
        .then((write) => void results.push(write))
        .finally(() => {
          this.inFlight.delete(item.d.id);
          running.delete(p);
        });
      running.add(p);
    }
    await Promise.all(running);
    flush();
    await Promise.all(written);
  }

  /** Marks what is due `sending` (inside the group commit's transaction); what to send once that is on disk. */
  private claim(): Claimed[] {
    const { ctx, outbox, channels, members } = this.core;
    const now = ctx.clock.now();
    const batch: Claimed[] = [];
    for (const d of outbox.due(now, 200)) {
      if (this.inFlight.has(d.id)) continue;
      const channel = channels.get(d.channel);
      if (!channel) {
        // The channel is not up (yet): keep the message, look again later.
        outbox.setStatus(d.id, 'queued', now, {
          next_attempt_at: now + notifySettings(this.core).retry_base_ms,
          last_error: `channel ${d.channel} is not running`,
        });
        continue;
      }
      const n = outbox.notification(d.notification_id);
      const member = members.get(d.member_id);
      if (!n || !member || member.disabled) {
        outbox.setStatus(d.id, 'cancelled', now, { last_error: n ? 'member gone or disabled' : 'notification gone' });
        continue;
      }
      // A message is admitted against the person's rate once; its retries after a failure are not counted again.
      const key = `${d.member_id}:${d.channel}`;
      if (d.severity !== 'urgent' && d.attempts === 0 && !this.limiter.take(key)) {
        const wait = Math.max(1, this.limiter.retryAfter(key)) * 1000;
        outbox.setStatus(d.id, 'queued', now, { next_attempt_at: now + wait });
        continue;
      }
      const attempts = d.attempts + 1;
      outbox.setStatus(d.id, 'sending', now, { attempts });
      batch.push({
        channel,
        d: { ...d, attempts },
        message: {
          delivery_id: d.id,
          idem_key: d.idem_key,
          member,
          notification_id: n.id,
          kind: n.kind,
          severity: n.severity,
          text: n.count > 1 ? `${n.text} (×${n.count})` : n.text,
          actions: n.state === 'open' ? actionsOf(n) : [],
          subject: n.subject,
        },
      });
    }
    return batch;
  }

  /** Sends one message; returns the write that records the result (run in a batch). */
  private async sendOne(channel: NotificationChannel, d: DeliveryRow, message: OutgoingMessage): Promise<() => void> {
    const { ctx, outbox, log } = this.core;
    try {
      const { message_ref } = await channel.send(message);
      this.lastError = undefined;
      const at = ctx.clock.now();
      return () => outbox.setStatus(d.id, 'delivered', at, { message_ref, delivered_at: at, last_error: null });
    } catch (err) {
      const s = notifySettings(this.core);
      const retryable = err instanceof ChannelError ? err.retryable : true;
      const msg = errorMessage(err).slice(0, 300);
      this.lastError = msg;
      const later = ctx.clock.now();
      if (!retryable || d.attempts >= s.max_attempts) {
        log.warn({ delivery: d.id, channel: d.channel, err: msg }, 'delivery failed for good');
        return () => outbox.setStatus(d.id, 'failed', later, { last_error: msg });
      }
      const backoff = Math.min(s.retry_base_ms * 2 ** Math.min(d.attempts - 1, 20), s.retry_max_ms);
      const wait = Math.round(
        err instanceof ChannelError && err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 0) : backoff * (0.8 + Math.random() * 0.4),
      );
      log.info({ delivery: d.id, channel: d.channel, attempts: d.attempts, retry_in_ms: wait, err: msg }, 'delivery will be retried');
      return () => outbox.setStatus(d.id, 'queued', later, { next_attempt_at: later + wait, last_error: msg });
    }
  }

  private prune(): void {
    const now = this.core.ctx.clock.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    this.core.outbox.prune(now - notifySettings(this.core).keep_days * 86_400_000);
  }
}
