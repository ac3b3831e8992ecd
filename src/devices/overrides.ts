import type { Db } from '../store/database.js';
import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';

/** What the owner changed about an entity: other names, the room, the name shown, hidden from Home. */
export interface EntityOverride {
  aliases: string[];
  area: string | null;
  /** The owner's name for it; null: the name its source gives. */
  name: string | null;
  hidden: boolean;
}

/**
 * The owner's edits to entities (aliases, area, name, hidden). Entities themselves live in
 * memory and are re-announced by their adapters; these edits are kept here and re-applied when
 * they return.
 */
export class EntityOverrides {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  get(entityId: string): EntityOverride | undefined {
    const row = this.db.prepare('SELECT aliases, area, name, hidden FROM entity_overrides WHERE entity_id = ?').get(entityId) as
      { aliases: string; area: string | null; name: string | null; hidden: number } | undefined;
    return row ? { aliases: JSON.parse(row.aliases) as string[], area: row.area, name: row.name, hidden: row.hidden === 1 } : undefined;
  }

  set(entityId: string, o: EntityOverride): void {
    this.db
      .prepare(
        `INSERT INTO entity_overrides (entity_id, aliases, area, name, hidden, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(entity_id) DO UPDATE SET aliases = excluded.aliases, area = excluded.area, name = excluded.name, hidden = excluded.hidden, updated_at = excluded.updated_at`,
      )
      .run(entityId, JSON.stringify(o.aliases), o.area, o.name, o.hidden ? 1 : 0, isoTime(this.clock.now()));
  }
}
