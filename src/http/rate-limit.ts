/** Per-client token buckets (by token digest, or by address without tokens): `rate` requests a second. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** 0 when the request may go on, else the seconds to wait before the next one will. */
  take(client: string): number {
    const now = this.now();
    let bucket = this.buckets.get(client);
    if (bucket === undefined) {
      if (this.buckets.size > 100_000) this.buckets.clear(); // bounded memory under address churn
      bucket = { tokens: this.rate, at: now };
      this.buckets.set(client, bucket);
    }
    bucket.tokens = Math.min(this.rate, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.rate;
  }
}
