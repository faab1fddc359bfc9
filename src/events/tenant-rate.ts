import { PLATFORM_QUEUE } from './delivery-schedule';

/**
 * Per-tenant rate of listener runs on this instance: a token bucket per tenant queue, refilled at
 * `perSecond` up to `burst`. Claims take no more of a tenant's rows than it has tokens; each run
 * claimed takes one. Platform-level work (no tenant) is not limited.
 */
export class TenantRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number = Math.max(1, Math.ceil(perSecond)),
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The tenants that have fewer tokens than `burst`, with their whole tokens, for the next claim;
   * every other tenant may take `burst`. Full buckets are forgotten.
   */
  limits(): { queues: string[]; counts: number[]; burst: number } {
    const queues: string[] = [];
    const counts: number[] = [];
    for (const [queue, bucket] of this.buckets) {
      const tokens = this.refill(bucket);
      if (tokens >= this.burst) {
        this.buckets.delete(queue);
        continue;
      }
      queues.push(queue);
      counts.push(Math.floor(tokens));
    }
    return { queues, counts, burst: this.burst };
  }

  /** `runs` of the tenant's deliveries were claimed. */
  take(queue: string, runs = 1): void {
    if (queue === PLATFORM_QUEUE) return;
    let bucket = this.buckets.get(queue);
    if (!bucket) this.buckets.set(queue, (bucket = { tokens: this.burst, at: this.now() }));
    bucket.tokens = this.refill(bucket) - runs;
  }

  /** Milliseconds until a tenant that has run out has a whole token again (null: none has run out). */
  nextTokenInMs(): number | null {
    let soonest: number | null = null;
    for (const bucket of this.buckets.values()) {
      const tokens = this.refill(bucket);
      if (tokens >= 1) continue;
      const ms = ((1 - tokens) * 1000) / this.perSecond;
      soonest = soonest === null ? ms : Math.min(soonest, ms);
    }
    return soonest;
  }

  private refill(bucket: { tokens: number; at: number }): number {
    const now = this.now();
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    return bucket.tokens;
  }
}
