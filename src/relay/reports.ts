import type { UpMessage } from '../link/messages.js';
import type { Db } from './db.js';

export interface HubReport {
  id: string;
  class: 'alert' | 'telemetry';
  type: string;
  at: string;
  data: Record<string, unknown>;
}

const DDL = `
  CREATE TABLE IF NOT EXISTS hub_reports (hub_id TEXT NOT NULL, msg_id TEXT NOT NULL, class TEXT NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (hub_id, msg_id));
  CREATE INDEX IF NOT EXISTS hub_reports_by_class ON hub_reports (hub_id, class, received_at);
`;

/**
 * The alerts and health snapshots hubs send up the link, per hub, bounded: the last `keep` of
 * each class per hub and nothing older than `days`. The message id is the key, so a message
 * two relays both see (a redelivery) is stored once.
 */
export class HubReports {
  private constructor(
    private readonly db: Db,
    private readonly keep: number,
    private readonly days: number,
    private readonly now: () => number,
  ) {}

  static async open(db: Db, options: { keep: number; days: number; now?: () => number }): Promise<HubReports> {
    await db.exec(DDL);
    return new HubReports(db, options.keep, options.days, options.now ?? Date.now);
  }

  /** True when it was new. */
  async record(hubId: string, msg: UpMessage): Promise<boolean> {
    if (msg.class !== 'alert' && msg.class !== 'telemetry') return false;
    const r = await this.db.run(
      'INSERT INTO hub_reports (hub_id, msg_id, class, type, at, data, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hub_id, msg_id) DO NOTHING',
      [hubId, msg.id, msg.class, msg.type, msg.at, JSON.stringify(msg.data), this.now()],
    );
    if (r.changes) await this.prune(hubId, msg.class);
    return r.changes > 0;
  }

  /** Newest first. */
  async list(hubId: string, cls?: 'alert' | 'telemetry', limit = 50): Promise<HubReport[]> {
    const rows = await this.db.query<{ msg_id: string; class: HubReport['class']; type: string; at: string; data: string }>(
      cls
        ? 'SELECT msg_id, class, type, at, data FROM hub_reports WHERE hub_id = $1 AND class = $2 ORDER BY received_at DESC, at DESC LIMIT $3'
        : 'SELECT msg_id, class, type, at, data FROM hub_reports WHERE hub_id = $1 AND class <> $2 ORDER BY received_at DESC, at DESC LIMIT $3',
      [hubId, cls ?? '', limit],
    );
    return rows.map((r) => ({ id: r.msg_id, class: r.class, type: r.type, at: r.at, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  /** The hub's last health snapshot, for the owners' offline notice. */
  async lastHealth(hubId: string): Promise<HubReport | undefined> {
    return (await this.list(hubId, 'telemetry', 1))[0];
  }

  private async prune(hubId: string, cls: string): Promise<void> {
    await this.db.run('DELETE FROM hub_reports WHERE received_at < $1', [this.now() - this.days * 86_400_000]);
    const edge = await this.db.one<{ received_at: number }>(
      'SELECT received_at FROM hub_reports WHERE hub_id = $1 AND class = $2 ORDER BY received_at DESC LIMIT 1 OFFSET $3',
      [hubId, cls, this.keep],
    );
    if (edge) await this.db.run('DELETE FROM hub_reports WHERE hub_id = $1 AND class = $2 AND received_at <= $3', [hubId, cls, edge.received_at]);
  }
}
