import { errorCode } from '../error-code.js';

/**
 * Whether the store took the last write. A failed intake transaction (disk full, file read-only, PostgreSQL in
 * recovery) makes readiness fail for `holdMs`, so a load balancer sends the traffic elsewhere for a while; then it
 * is ready again and the next write tells. Answering a ping is not enough: a full disk still answers `SELECT 1`.
 */
export class WriteHealth {
  private failedAt: number | null = null;
  private reason = '';

  constructor(
    private readonly holdMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  succeeded(): void {
    this.failedAt = null;
  }

  failed(error: unknown): void {
    this.failedAt = this.now();
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    this.reason = code !== undefined ? `${code}: ${message}` : message;
  }

  /** Throws while the last write failed less than `holdMs` ago (a readiness check). */
  async check(): Promise<void> {
    if (this.failedAt === null) return;
    const ago = this.now() - this.failedAt;
    if (ago >= this.holdMs) return;
    throw new Error(`the last write failed ${(ago / 1000).toFixed(1)} s ago (${this.reason.slice(0, 160)})`);
  }
}
