/**
 * Rate limits: a token bucket per client IP and per API token, in this process's memory.
 * Behind a load balancer each gateway process counts its own requests, so the fleet allows
 * up to N times the rate; the limit is there to stop one client flooding one process.
 */

/** One bucket's shape: how many requests in a burst, and how many come back each second. */
export interface RateLimit {
  readonly burst: number;
  readonly perSecond: number;
}

/** Buckets by key; idle full buckets are dropped so the map stays small. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request for `key`: 0 when allowed, else the seconds to wait (at least 1). */
  take(key: string): number {
    const now = this.now();
    const { burst, perSecond } = this.limit;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  private sweep(now: number): void {
    const { burst, perSecond } = this.limit;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * perSecond >= burst) this.buckets.delete(key);
    }
  }
}
