/**
 * A bound on the memory that request bodies being received and handled may hold at once. Each POST reserves its
 * declared `Content-Length` (the body limit when it declares none) before its body is read, and gives it back when
 * its answer is sent or the client goes away. A request that does not fit is answered 503 at once, unread, so a
 * flood of large bodies over many connections cannot grow memory past the budget whatever the connection count.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  /** Bytes currently reserved. */
  get reserved(): number {
    return this.used;
  }

  /** Reserves `bytes`; false (nothing reserved) when they do not fit. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** What a request reserves: its declared length, capped by the body limit; the limit when it declares none. */
export function declaredBodyBytes(contentLength: string | undefined, bodyLimit: number): number {
  if (contentLength === undefined || !/^\d{1,15}$/.test(contentLength)) return bodyLimit;
  return Math.min(Number(contentLength), bodyLimit);
}
