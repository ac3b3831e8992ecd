import type { KeyObject } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { HubContext } from '../part/context.js';
import type { Logger } from '../core/logger.js';
import { RateLimiter } from '../core/rate-limit.js';
import { errorMessage } from '../core/errors.js';
import { downCommandSchema, signedEnvelopeSchema, verifyBody, type DownCommand } from './messages.js';
import type { GatePort } from './gate-port.js';
import type { GateOutcome } from '../gate/model.js';
import { forAudit } from '../gate/redact.js';

export type RejectReason =
  'malformed' | 'unsigned' | 'no_trusted_key' | 'bad_signature' | 'other_hub' | 'expired' | 'expiry_too_far' | 'replayed' | 'replay_memory_full';

export interface CommandOptions {
  ctx: HubContext;
  hubId: string;
  publicKey?: KeyObject;
  maxTtlMs: number;
  gate: GatePort;
  log: Logger;
  onResult(result: { command_id?: string; accepted: boolean; reason?: RejectReason; outcome?: GateOutcome | { status: 'failed'; error: string } }): void;
}

const MAX_SEEN = 100_000;

/**
 * `down/cmd`: signed by the relay's Ed25519 key, addressed to one hub, expiring. The ids of
 * accepted commands are kept in SQLite until they expire, so a replay is refused even after a
 * restart. Every rejection is audited (rate-limited, so a flood cannot fill the disk).
 */
export class DownCommands {
  private readonly auditLimit = new RateLimiter({ burst: 50, perSecond: 2, maxKeys: 10 });
  private readonly insertSeen: Statement;
  private readonly pruneSeen: Statement;
  private readonly countSeen: Statement;
  private received = 0;

  constructor(private readonly o: CommandOptions) {
    const db = o.ctx.store.db;
    this.insertSeen = db.prepare('INSERT OR IGNORE INTO link_seen_commands (id, expires_at) VALUES (?, ?)');
    this.pruneSeen = db.prepare('DELETE FROM link_seen_commands WHERE expires_at <= ?');
    this.countSeen = db.prepare('SELECT COUNT(*) AS n FROM link_seen_commands');
  }

  async handle(payload: Buffer): Promise<void> {
    const now = this.o.ctx.clock.now();
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.reject('malformed', undefined, 'not JSON');
    }
    const env = signedEnvelopeSchema.safeParse(raw);
    if (!env.success) return this.reject('malformed', undefined, 'not a signed envelope {body, sig}');
    const idHint = typeof env.data.body.id === 'string' ? env.data.body.id.slice(0, 100) : undefined;
    if (!env.data.sig) return this.reject('unsigned', idHint);
    if (!this.o.publicKey) return this.reject('no_trusted_key', idHint, 'link.relay_public_key is not set');
    if (!verifyBody(this.o.publicKey, env.data.body, env.data.sig)) return this.reject('bad_signature', idHint);
    const parsed = downCommandSchema.safeParse(env.data.body);
    if (!parsed.success) return this.reject('malformed', idHint, parsed.error.issues[0]?.message);
    const cmd = parsed.data;
    if (cmd.hub_id !== this.o.hubId) return this.reject('other_hub', cmd.id, `addressed to ${cmd.hub_id}`);
    if (cmd.expires_at <= now) return this.reject('expired', cmd.id, `expired at ${new Date(cmd.expires_at).toISOString()}`);
    if (cmd.expires_at - now > this.o.maxTtlMs) return this.reject('expiry_too_far', cmd.id);
    const seen = this.remember(cmd, now);
    if (seen !== 'ok') return this.reject(seen, cmd.id);
    await this.execute(cmd);
  }

  private remember(cmd: DownCommand, now: number): 'ok' | 'replayed' | 'replay_memory_full' {
    if (++this.received % 100 === 0) this.pruneSeen.run(now);
    try {
      return this.o.ctx.store.db
        .transaction(() => {
          if (this.insertSeen.run(cmd.id, cmd.expires_at).changes === 0) return 'replayed' as const;
          if ((this.countSeen.get() as { n: number }).n > MAX_SEEN) {
            this.pruneSeen.run(now);
            if ((this.countSeen.get() as { n: number }).n > MAX_SEEN) throw new Error('replay memory full');
          }
          return 'ok' as const;
        })
        .immediate();
    } catch {
      return 'replay_memory_full';
    }
  }

  private async execute(cmd: DownCommand): Promise<void> {
    this.o.ctx.audit.append({
      actor: cmd.actor ? `relay:${cmd.actor}` : 'relay',
      origin: 'relay',
      kind: 'link.command.accepted',
      subject: cmd.id,
      // A lock's code stays out of the trail (kept for years, copied to the cloud), as in the gate's own entries.
      data: { action: forAudit(cmd.action), expires_at: new Date(cmd.expires_at).toISOString() },
    });
    try {
      const outcome = await this.o.gate.request({
        action: cmd.action,
        origin: { member_id: null, channel: 'relay', actor: cmd.actor },
        reason: cmd.reason,
      });
      this.o.onResult({ command_id: cmd.id, accepted: true, outcome });
    } catch (err) {
      this.o.log.warn({ command_id: cmd.id, err: errorMessage(err) }, 'gate request from the relay failed');
      this.o.onResult({ command_id: cmd.id, accepted: true, outcome: { status: 'failed', error: errorMessage(err) } });
    }
  }

  private reject(reason: RejectReason, commandId?: string, detail?: string): void {
    this.o.log.warn({ reason, command_id: commandId, detail }, 'down command rejected');
    this.o.onResult({ command_id: commandId, accepted: false, reason });
    if (!this.auditLimit.take('reject')) return; // logged and counted, not audited, during a flood
    try {
      this.o.ctx.audit.append({
        actor: 'relay',
        origin: 'relay',
        kind: 'link.command.rejected',
        subject: commandId ?? null,
        data: { reason, ...(detail ? { detail } : {}) },
      });
    } catch (err) {
      this.o.log.error({ err: errorMessage(err) }, 'could not audit a rejected command');
    }
  }
}
