import type { DerivedEvent } from '../contract/index.js';
import type { FormsCatalog, JudgedInput, Verdict } from '../intake/index.js';
import type { EventStore } from '../store/port.js';
import type { TokenAuthority } from './auth.js';
import type { LogNotifier } from './log-notifier.js';
import type { ServiceMetrics } from './metrics.js';

export interface HttpLimits {
  /** Largest request body accepted (413 beyond). */
  readonly bodyBytes: number;
  /** Most events in one batch (413 beyond). */
  readonly batchEvents: number;
  /** Largest page of the feed, rejections and report. */
  readonly pageMax: number;
  /** Events accepted into memory but not yet committed; beyond it intake answers 503 with Retry-After. */
  readonly pendingEventsMax: number;
  /** Bytes of request bodies being received or handled at once (each POST reserves its Content-Length). */
  readonly bodyMemoryBytes: number;
  /** Requests a second per client (token, or address without tokens); undefined: no limit. */
  readonly requestsPerSecond?: number | undefined;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  bodyBytes: 4 * 1024 * 1024,
  batchEvents: 1000,
  pageMax: 1000,
  pendingEventsMax: 20_000,
  bodyMemoryBytes: 256 * 1024 * 1024,
};

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

/** What the HTTP layer needs from the runtime; the composition root (config.ts) builds it. */
export interface HttpContext {
  readonly store: EventStore;
  readonly forms: FormsCatalog;
  readonly auth: TokenAuthority;
  readonly metrics: ServiceMetrics;
  readonly limits: HttpLimits;
  /** Origins whose pages may call the API from a browser (CORS); absent or empty: no CORS headers. */
  readonly corsOrigins?: readonly string[];
  /** Reverse proxies whose X-Forwarded-For gives a request's address (parseTrustedProxies); absent or empty: none. */
  readonly trustedProxies?: readonly string[];
  /** The intake pipeline as this runtime runs it (inline processors, metrics, waking the others). */
  readonly ingest: (inputs: JudgedInput[], origin: string) => Promise<Verdict[]>;
  /** Events submitted to `ingest` and not yet committed (for back-pressure). */
  readonly pendingEvents: () => number;
  readonly evaluate: (webinarId: string, requester: string) => Promise<DerivedEvent[]>;
  readonly readiness: readonly ReadinessCheck[];
  /** Rung after events are appended in this process; the SSE stream also polls, so it is optional. */
  readonly logNotifier?: LogNotifier;
}
