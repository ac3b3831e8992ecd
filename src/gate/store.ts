import type { Db } from '../store/database.js';
import { statementCache } from '../store/statements.js';
import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/ids.js';
import type { Decision, Envelope, EnvelopeState, ListQuery, OutcomeDetail } from './model.js';

interface Row {
  id: string;
  action: string;
  origin: string;
  actor: string;
  risk: Envelope['risk'];
  reason: string | null;
  policy: string;
  deny_ends: number;
  created_at: string;
  created_ms: number;
  expires_at: string;
  expires_ms: number;
  nonce: string;
  digest: string;
  state: EnvelopeState;
  outcome: string | null;
  updated_at: string;
}

interface DecisionRow extends Decision {
  digest: string;
}

/** What the store keeps beside the envelope itself. */
export interface StoredEnvelope {
  envelope: Envelope;
  actor: string;
  deny_ends: boolean;
  created_ms: number;
  expires_ms: number;
  /** Each decision's digest: a decision counts only for the exact envelope it was made on. */
  decisionDigests: string[];
}

/** DESIGN: SHA-256 over the canonical JSON of the action, the policy, the expiry and the nonce. */
export function envelopeDigest(e: Pick<Envelope, 'action' | 'policy' | 'expires_at' | 'nonce'>): string {
  return sha256Hex(canonicalJson({ action: e.action, policy: e.policy, expires_at: e.expires_at, nonce: e.nonce }));
}

/**
 * Envelopes in SQLite, on the synchronous=FULL connection. State changes are conditional
 * updates (`WHERE state IN (...)`), so two callers racing for one transition cannot both win.
 */
export class EnvelopeStore {
  private readonly q: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db) {
    this.q = statementCache(db);
  }

  insert(s: Omit<StoredEnvelope, 'decisionDigests'>): void {
    const e = s.envelope;
    this.q(
      `INSERT INTO approvals (id, action, origin, actor, risk, reason, policy, deny_ends, created_at, created_ms, expires_at, expires_ms, nonce, digest, state, outcome, updated_at)
         VALUES (@id, @action, @origin, @actor, @risk, @reason, @policy, @deny_ends, @created_at, @created_ms, @expires_at, @expires_ms, @nonce, @digest, @state, NULL, @created_at)`,
    ).run({
      id: e.id,
      action: JSON.stringify(e.action),
      origin: JSON.stringify(e.origin),
      actor: s.actor,
      risk: e.risk,
      reason: e.reason,
      policy: JSON.stringify(e.policy),
      deny_ends: s.deny_ends ? 1 : 0,
      created_at: e.created_at,
      created_ms: s.created_ms,
      expires_at: e.expires_at,
      expires_ms: s.expires_ms,
      nonce: e.nonce,
      digest: e.digest,
      state: e.state,
    });
  }

  get(id: string): StoredEnvelope | undefined {
    const row = this.q('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return row ? this.fromRow(row) : undefined;
  }

  /** Newest first; `before` is the id of the last envelope of the previous page (an unknown id gives an empty page). */
  list(query: ListQuery = {}): Envelope[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.state) {
      where.push('state = @state');
      params.state = query.state;
    }
    if (query.before) {
      // Insertion order (rowid), not time: two envelopes made in one millisecond still page right.
      where.push('rowid < COALESCE((SELECT rowid FROM approvals WHERE id = @before), 0)');
      params.before = query.before;
    }
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const rows = this.db
      .prepare(`SELECT * FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY rowid DESC LIMIT ${limit}`)
      .all(params) as Row[];
    return rows.map((r) => this.fromRow(r).envelope);
  }

  idsInState(state: EnvelopeState): string[] {
    return (this.q('SELECT id FROM approvals WHERE state = ?').all(state) as { id: string }[]).map((r) => r.id);
  }

  pendingExpiredBy(nowMs: number): string[] {
    return (this.q("SELECT id FROM approvals WHERE state = 'pending' AND expires_ms <= ?").all(nowMs) as { id: string }[]).map((r) => r.id);
  }

  addDecision(id: string, d: Decision, digest: string): void {
    this.q('INSERT INTO approval_decisions (approval_id, member_id, decision, channel, at, digest) VALUES (?, ?, ?, ?, ?, ?)').run(
      id,
      d.member_id,
      d.decision,
      d.channel,
      d.at,
      digest,
    );
  }

  /** Moves the envelope from one of `from` to `to`; false when another caller got there first. */
  transition(id: string, from: EnvelopeState[], to: EnvelopeState, at: string, outcome?: OutcomeDetail): boolean {
    const placeholders = from.map(() => '?').join(', ');
    const res = this.q(`UPDATE approvals SET state = ?, updated_at = ?, outcome = COALESCE(?, outcome) WHERE id = ? AND state IN (${placeholders})`).run(
      to,
      at,
      outcome ? JSON.stringify(outcome) : null,
      id,
      ...from,
    );
    return res.changes === 1;
  }

  private fromRow(row: Row): StoredEnvelope {
    const decisions = this.q('SELECT member_id, decision, channel, at, digest FROM approval_decisions WHERE approval_id = ? ORDER BY at, rowid').all(
      row.id,
    ) as DecisionRow[];
    const envelope: Envelope = {
      id: row.id,
      action: JSON.parse(row.action) as Envelope['action'],
      origin: JSON.parse(row.origin) as Envelope['origin'],
      risk: row.risk,
      reason: row.reason,
      policy: JSON.parse(row.policy) as Envelope['policy'],
      created_at: row.created_at,
      expires_at: row.expires_at,
      nonce: row.nonce,
      digest: row.digest,
      state: row.state,
      decisions: decisions.map(({ member_id, decision, channel, at }) => ({ member_id, decision, channel, at })),
      outcome: row.outcome ? (JSON.parse(row.outcome) as OutcomeDetail) : null,
    };
    return {
      envelope,
      actor: row.actor,
      deny_ends: row.deny_ends === 1,
      created_ms: row.created_ms,
      expires_ms: row.expires_ms,
      decisionDigests: decisions.map((d) => d.digest),
    };
  }
}
