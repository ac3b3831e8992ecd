/**
 * A token bucket per key, with a bounded number of keys so that a flood of distinct
 * keys (addresses, client ids) cannot grow memory without end: the least recently seen
 * key is forgotten first.
 */
export interface RateLimitOptions {
  /** Tokens a key may spend at once. */
  burst: number;
  /** Tokens added back per second. */
  perSecond: number;
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** The key last inserted or moved to the end of `buckets`. */
  private newest?: string;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Spends `cost` tokens if the key has them; false means "over the limit". `at` replays a
   * past spend (oldest first), e.g. failures read back from the audit trail after a restart.
   */
  take(key: string, cost = 1, at = this.now()): boolean {
    const bucket = this.refill(key, at);
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  /** Seconds until the key can spend one token again (0 when it can now). */
  retryAfter(key: string): number {
    // Only looks: asking about a key never stores it, so a flood of refused requests under
    // made-up keys (usernames) cannot push a limited key out and reset it.
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = this.tokensOf(bucket, this.now());
    if (tokens >= 1) return 0;
    return Math.ceil((1 - tokens) / this.options.perSecond);
  }

  private tokensOf(bucket: Bucket, now: number): number {
    return Math.min(this.options.burst, bucket.tokens + (Math.max(0, now - bucket.updated) / 1000) * this.options.perSecond);
  }

  reset(key: string): void {
    this.buckets.delete(key);
  }

  private refill(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Re-inserted to keep Map order = recency, unless it is the newest already (a busy client
      // spends a token per message: no need to move it each time).
      if (key !== this.newest) {
        this.buckets.delete(key);
        this.buckets.set(key, bucket);
      }
      bucket.tokens = this.tokensOf(bucket, now);
      bucket.updated = Math.max(bucket.updated, now);
    } else {
      bucket = { tokens: this.options.burst, updated: now };
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      this.buckets.set(key, bucket);
    }
    this.newest = key;
    return bucket;
  }

  /**
   * Makes room: of the oldest few keys, drop the one with the most tokens left (a refilled
   * bucket is the same as an unknown key), so that a key that is being limited is the last to
   * be forgotten however many other keys an attacker makes.
   */
  private evict(now: number): void {
    let victim: string | undefined;
    let most = -1;
    let looked = 0;
    for (const [key, b] of this.buckets) {
      const tokens = this.tokensOf(b, now);
      if (tokens > most) {
        most = tokens;
        victim = key;
      }
      if (tokens >= this.options.burst || ++looked >= 64) break;
    }
    if (victim !== undefined) this.buckets.delete(victim);
  }
}
