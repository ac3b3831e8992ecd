/**
 * Ids seen until they expire, bounded: when full of live ids, new ones are refused rather
 * than forgetting a live one (forgetting would let a replay through).
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly capacity = 10_000) {}

  /** 'ok' and remembered, 'replayed', or 'full'. */
  remember(id: string, expiresAt: number, now: number): 'ok' | 'replayed' | 'full' {
    const prev = this.seen.get(id);
    if (prev !== undefined && prev > now) return 'replayed';
    if (this.seen.size >= this.capacity) this.prune(now);
    if (this.seen.size >= this.capacity) return 'full';
    this.seen.set(id, expiresAt);
    return 'ok';
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [id, exp] of this.seen) if (exp <= now) this.seen.delete(id);
  }
}
