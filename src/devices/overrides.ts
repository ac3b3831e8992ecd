import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';

/**
 * The owner's edits to entities (aliases, area). Entities themselves live in memory and are
 * re-announced by their adapters; these edits are kept here and re-applied when they return.
 */
export class EntityOverrides {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  get(entityId: string): { aliases: string[]; area: string | null } | undefined {
    const row = this.db.prepare('SELECT aliases, area FROM entity_overrides WHERE entity_id = ?').get(entityId) as { aliases: string; area: string | null } | undefined;
    return row ? { aliases: JSON.parse(row.aliases) as string[], area: row.area } : undefined;
  }

  set(entityId: string, aliases: string[], area: string | null): void {
    this.db
      .prepare('INSERT INTO entity_overrides (entity_id, aliases, area, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(entity_id) DO UPDATE SET aliases = excluded.aliases, area = excluded.area, updated_at = excluded.updated_at')
      .run(entityId, JSON.stringify(aliases), area, isoTime(this.clock.now()));
  }
}
