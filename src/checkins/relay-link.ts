import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import { checkinsErrors } from './errors.js';
import type { MemberDirectory } from '../notify/model.js';
import type { LinkService } from '../link/service.js';
import { hookRequestSchema, importRequestSchema, profileDigest, type FallbackRecord, type TelephonyProfile } from '../link/telephony.js';
import type { TwilioHooks } from '../channels/twilio/hooks.js';
import type { CheckinEngine } from './engine.js';
import { memberByPhone, phoneOf } from './people.js';

const ANNOUNCE_MS = 30_000;

/**
 * The hub's side of hybrid-mode telephony: the relay's RPCs `twilio.hook` (a webhook the relay
 * terminated, handled by the same TwilioHooks as local mode), `telephony.profile` (the Twilio
 * credentials and who to tell, pulled by the relay over the signed RPC) and `telephony.import`
 * (what the relay did while the hub was away, imported once into the attempt and the audit);
 * and `telephony.changed` on up/events (a digest only) when the profile changes.
 */
export class RelayTelephonyLink implements Service {
  readonly name = 'checkins-relay';
  readonly optional = true;
  private timer?: NodeJS.Timeout;
  private announced?: string;

  constructor(
    private readonly ctx: HubContext,
    private readonly deps: { link: LinkService; hooks: TwilioHooks; engine: CheckinEngine; members: MemberDirectory },
  ) {
    const rpc = deps.link.rpc;
    if (!rpc) return;
    rpc.register('twilio.hook', (req) => {
      const r = hookRequestSchema.safeParse(req.params);
      if (!r.success) throw checkinsErrors.error('VALIDATION_FAILED', r.error.issues[0]?.message ?? 'malformed webhook');
      return deps.hooks.handle(r.data.path, r.data.params, r.data.token);
    });
    rpc.register('telephony.profile', () => {
      const profile = this.profile();
      if (!profile) throw checkinsErrors.error('NOT_CONFIGURED', 'Twilio is not configured on this hub');
      return profile;
    });
    rpc.register('telephony.import', (req) => {
      const r = importRequestSchema.safeParse(req.params);
      if (!r.success) throw checkinsErrors.error('VALIDATION_FAILED', r.error.issues[0]?.message ?? 'malformed records');
      return { imported: r.data.records.filter((rec) => this.importRecord(rec)).length };
    });
  }

  start(): void {
    if (!this.deps.link.rpc) return;
    this.announce();
    this.timer = setInterval(() => this.announce(), ANNOUNCE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Tells the relays the profile changed (they pull it); checked every 30 s and at start. */
  announce(): void {
    const profile = this.profile();
    if (!profile) return;
    const digest = profileDigest(profile);
    if (digest === this.announced) return;
    if (this.deps.link.enqueue('event', 'telephony.changed', { digest })) this.announced = digest;
  }

  profile(): TelephonyProfile | undefined {
    const s = this.ctx.settings.get().twilio;
    if (!s.account_sid || !s.auth_token || !s.from) return undefined;
    const people = this.deps.members.list().filter((m) => !m.disabled);
    const person = (id: string) => {
      const m = people.find((x) => x.id === id);
      return m?.phone ? [{ name: m.display_name, phone: m.phone }] : [];
    };
    const elders = new Map<string, TelephonyProfile['elders'][number]>();
    for (const c of this.deps.engine.store.list()) {
      const elder = people.find((m) => m.id === c.member_id);
      const phone = elder && c.enabled ? phoneOf(c, elder) : undefined;
      if (!elder || !phone) continue;
      const e = elders.get(elder.id) ?? { member_id: elder.id, name: elder.display_name, phones: [], contacts: [] };
      if (!e.phones.includes(phone)) e.phones.push(phone);
      for (const p of c.escalate_to.flatMap(person)) if (!e.contacts.some((x) => x.phone === p.phone)) e.contacts.push(p);
      elders.set(elder.id, e);
    }
    const owners = people.filter((m) => m.role === 'owner' && m.phone).map((m) => ({ name: m.display_name, phone: m.phone! }));
    return { account_sid: s.account_sid, auth_token: s.auth_token, from: s.from, elders: [...elders.values()], owners };
  }

  /** One record from the relay, once: into its check-in attempt (when it names one) and the audit. */
  importRecord(rec: FallbackRecord): boolean {
    const db = this.ctx.store.db;
    const now = this.ctx.clock.now();
    const store = this.deps.engine.store;
    return db.transaction(() => {
      const key = `relay:${rec.id}`;
      if (db.prepare('SELECT 1 FROM twilio_webhooks WHERE key = ?').get(key)) return false;
      db.prepare('INSERT INTO twilio_webhooks (key, response, at) VALUES (?, ?, ?)').run(key, '', now);
      const a = rec.attempt_id ? store.attempt(rec.attempt_id) : undefined;
      if (a && rec.outcome !== 'answered_politely') {
        const escalated = rec.escalated_to.length > 0;
        // Whom the relay texted, as members, so that reaching the elder later tells them "all clear" too.
        const told = rec.escalated_to.filter((x) => x.sid).flatMap((x) => memberByPhone(this.deps.members, x.phone)?.id ?? []);
        // The elder told the relay they are fine: everyone alerted earlier hears "all clear" (before
        // this attempt is marked done, so an escalation of its own is among them).
        const elder = rec.outcome === 'ok' ? this.deps.members.get(a.member_id) : undefined;
        if (elder) this.deps.engine.allClear(elder, 'told Hearth they are fine');
        store.setAttempt(
          a.id,
          {
            outcome: rec.outcome,
            ...(rec.said ? { said: rec.said } : {}),
            ...(rec.outcome === 'ok' ? { state: 'done' as const, next_call_at: null } : {}),
            ...(escalated ? { state: 'escalated' as const, next_call_at: null, escalation_kind: 'relay', escalated_at: rec.at } : {}),
            ...(told.length > 0 ? { relay_told: JSON.stringify(told) } : {}),
          },
          now,
        );
      }
      this.ctx.audit.append({
        actor: 'relay',
        origin: 'system',
        kind: 'checkin.relay_fallback',
        subject: a?.checkin_id ?? rec.path,
        data: {
          record: rec.id,
          at: new Date(rec.at).toISOString(),
          attempt: rec.attempt_id ?? null,
          outcome: rec.outcome,
          told: rec.escalated_to.map((p) => ({ name: p.name, sent: Boolean(p.sid) })),
        },
      });
      return true;
    })();
  }
}
