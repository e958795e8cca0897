import type { ClientEventType } from '../contract/events.js';
import { EventBuffer, type Queued } from './buffer.js';
import { BufferOverflowError, ClientClosedError, ContractViolation, DeliveryError } from './errors.js';
import { ParticipationSession, type SessionHost } from './session.js';
import {
  MAX_TIMER_MS,
  resolveRetry,
  sendBatch,
  type BatchResult,
  type TransportConfig,
} from './transport.js';
import type {
  AnonymousSession,
  AnyClientCloudEvent,
  ClientOptions,
  CloseOptions,
  CloseResult,
  Delivery,
  EmitOptions,
  EnteredOptions,
  FetchLike,
  OverflowPolicy,
  Session,
  SessionOptions,
  WebinarEventsClient,
} from './types.js';
import { uuidv7 } from './uuidv7.js';
import { prepareEvent, validateEvent } from './validate.js';

/** The server's limit of events in one batch. */
export const MAX_BATCH_SIZE = 1000;
const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['drop-oldest', 'drop-newest', 'throw'];
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Infinity,
) {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}]; got ${String(value)}`);
  }
  return n;
}

function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch !== 'function') {
    throw new TypeError('no global fetch in this runtime; pass options.fetch');
  }
  // Called through globalThis: a detached `fetch` throws "Illegal invocation" in browsers.
  return (url, init) => globalThis.fetch(url, init);
}

/** Calls a user callback; an exception there must not stop delivery, so it is ignored. */
function report<T>(callback: ((value: T) => void) | undefined, value: T): void {
  try {
    callback?.(value);
  } catch {
    // ignored by design (documented)
  }
}

/** Refuses a `source` the server would refuse, at construction rather than on the first event. */
function checkSource(source: string): void {
  const errors = validateEvent({
    specversion: '1.0',
    id: 'probe',
    source,
    type: 'client_webinar_entered',
    data: { webinar_id: 'probe', timestamp: '2026-01-01T00:00:00Z' },
  });
  if (errors.length > 0) throw new ContractViolation(errors);
}

class Client implements WebinarEventsClient, SessionHost {
  private readonly source: string;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private readonly flushIntervalMs: number;
  private readonly buffer: EventBuffer;
  private readonly transport: TransportConfig;
  private readonly abort = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  /** Events up to this sequence number go out even in a partial batch. */
  private drainUntil = 0;
  private loop: Promise<void> = Promise.resolve();
  private inflight: Queued[] = [];
  private readonly undelivered: AnyClientCloudEvent[] = [];
  /** Events given up before close (a 4xx, the attempts used up, a single event too large). */
  private givenUp = 0;
  /** Called if a full buffer drops the event of this id while it waits (a session's once-events). */
  private readonly onDrop = new Map<string, () => void>();
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private closed = false;
  private closing: Promise<CloseResult> | undefined;

  constructor(private readonly options: ClientOptions) {
    if (typeof options.endpoint !== 'string' || options.endpoint === '') {
      throw new TypeError('endpoint must be the base URL of the service');
    }
    checkSource(options.source);
    this.source = options.source;
    this.batchSize = integerOption('batchSize', options.batchSize, 100, 1, MAX_BATCH_SIZE);
    this.maxBatchBytes = integerOption('maxBatchBytes', options.maxBatchBytes, 1024 * 1024, 1024);
    this.flushIntervalMs = integerOption('flushIntervalMs', options.flushIntervalMs, 1000, 0, MAX_TIMER_MS);
    const overflow = options.overflow ?? 'drop-oldest';
    if (!OVERFLOW_POLICIES.includes(overflow)) {
      throw new RangeError(`overflow must be one of ${OVERFLOW_POLICIES.join(', ')}`);
    }
    this.buffer = new EventBuffer(integerOption('maxBuffer', options.maxBuffer, 10_000, 1), overflow);
    this.transport = {
      url: `${options.endpoint.replace(/\/+$/, '')}/v1/events`,
      fetch: options.fetch ?? defaultFetch(),
      token: options.token,
      retry: resolveRetry(options.retry),
      requestTimeoutMs: integerOption('requestTimeoutMs', options.requestTimeoutMs, 30_000, 1, MAX_TIMER_MS),
    };
  }

  get pending(): number {
    return this.buffer.size + this.inflight.length;
  }

  newId(): string {
    return uuidv7();
  }

  registered(payload: object, options?: EmitOptions): string {
    return this.emit('client_webinar_registered', payload, options);
  }

  entered(payload: object, options?: EnteredOptions): string {
    return this.emit('client_webinar_entered', payload, options, options?.sessionid);
  }

  left(payload: object, options?: EmitOptions): string {
    return this.emit('client_webinar_left', payload, options);
  }

  completed(payload: object, options?: EmitOptions): string {
    return this.emit('client_webinar_completed', payload, options);
  }

  formSubmitted(payload: object, options?: EmitOptions): string {
    return this.emit('client_webinar_form_submitted', payload, options);
  }

  session(options: SessionOptions & { lead_id: string }): Session;
  session(options: SessionOptions): AnonymousSession;
  session(options: SessionOptions): Session | AnonymousSession {
    if (this.closed) throw new ClientClosedError();
    return new ParticipationSession(this, options);
  }

  /** Validates (throws ContractViolation), buffers, schedules; returns the event id. */
  emit(
    type: ClientEventType,
    data: object,
    options?: EmitOptions,
    sessionid?: string,
    onDropped?: () => void,
  ): string {
    if (this.closed) throw new ClientClosedError();
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id: options?.id ?? this.newId(),
      source: this.source,
      type,
      time: options?.time ?? new Date().toISOString(),
    };
    if (sessionid !== undefined) event['sessionid'] = sessionid;
    event['data'] = data;
    const prepared = prepareEvent(event);
    if (onDropped !== undefined) this.onDrop.set(prepared.event.id, onDropped);
    const pushed = this.buffer.push(prepared);
    // Before any callback of the caller's runs: the dropped events' sessions forget them.
    for (const q of pushed.dropped) {
      const forget = this.onDrop.get(q.event.id);
      this.onDrop.delete(q.event.id);
      forget?.();
    }
    // With 'throw' nothing was dropped: the emit throws, and that is the whole report.
    if (pushed.dropped.length > 0 && this.buffer.policy !== 'throw') {
      report(this.options.onOverflow, {
        policy: this.buffer.policy,
        dropped: pushed.dropped.map((q) => q.event),
      });
      this.notify();
    }
    if (!pushed.queued && this.buffer.policy === 'throw') throw new BufferOverflowError(this.buffer.capacity);
    if (pushed.queued) this.schedule();
    return prepared.event.id;
  }

  async flush(): Promise<void> {
    const target = this.buffer.lastSeq;
    this.drain(target);
    await this.settled(target);
  }

  close(options: CloseOptions = {}): Promise<CloseResult> {
    this.closed = true;
    this.closing ??= this.shutdown(options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<CloseResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      // Past the longest timer (about 24.8 days) it waits as for Infinity: setTimeout would fire at once.
      if (timeoutMs <= MAX_TIMER_MS) timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
    });
    const outcome = await Promise.race([this.flush().then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.abort.abort();
      await this.loop;
      const rest = this.buffer.drain().map((q) => q.event);
      this.onDrop.clear();
      this.undelivered.push(...rest);
      this.notify();
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.undelivered.length > 0) {
      report(
        this.options.onError,
        new DeliveryError(`closed with ${this.undelivered.length} events not delivered`, {
          attempt: 0,
          willRetry: false,
          events: [...this.undelivered],
        }),
      );
    }
    return { undelivered: [...this.undelivered], givenUp: this.givenUp };
  }

  /** After an emit: a full batch goes at once; otherwise the interval timer starts, if not already running. */
  private schedule(): void {
    if (this.buffer.size >= this.batchSize) this.kick();
    else this.armTimer();
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.buffer.size === 0 || this.abort.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain(this.buffer.lastSeq);
    }, this.flushIntervalMs);
  }

  /** Sends everything up to `seq` (interval elapsed, flush, close), full batches or not. */
  private drain(seq: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.drainUntil = Math.max(this.drainUntil, seq);
    this.kick();
  }

  private kick(): void {
    if (this.running || this.buffer.size === 0 || this.abort.signal.aborted) return;
    this.running = true;
    this.loop = this.run();
  }

  /** One batch in flight at a time, in emission order: full batches, and partial ones when draining. */
  private async run(): Promise<void> {
    try {
      while (
        !this.abort.signal.aborted &&
        (this.buffer.size >= this.batchSize || this.buffer.oldestSeq <= this.drainUntil)
      ) {
        this.inflight = this.buffer.take(this.batchSize, this.maxBatchBytes);
        // Sent now: no longer droppable by a full buffer.
        for (const q of this.inflight) this.onDrop.delete(q.event.id);
        await this.deliver(this.inflight);
        this.inflight = [];
        this.notify();
      }
    } finally {
      this.inflight = [];
      this.running = false;
      this.notify();
      this.armTimer();
    }
  }

  private async deliver(batch: readonly Queued[]): Promise<void> {
    const events = batch.map((q) => q.event);
    const body = `[${batch.map((q) => q.json).join(',')}]`;
    const outcome = await sendBatch(this.transport, body, events, this.abort.signal, (error) =>
      report(this.options.onError, error),
    );
    switch (outcome.kind) {
      case 'ok':
        return this.settle(events, outcome.results);
      case 'too-large':
        if (batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          await this.deliver(batch.slice(0, half));
          await this.deliver(batch.slice(half));
        } else {
          this.givenUp += events.length;
          report(this.options.onError, outcome.error);
        }
        return;
      case 'failed':
        this.givenUp += events.length;
        return report(this.options.onError, outcome.error);
      case 'aborted':
        this.undelivered.push(...events);
        return;
    }
  }

  private settle(events: readonly AnyClientCloudEvent[], results: readonly BatchResult[]): void {
    const deliveries: Delivery[] = [];
    events.forEach((event, i) => {
      const result = results[i]!;
      if (result.status === 'rejected') {
        report(this.options.onRejected, {
          id: event.id,
          type: event.type,
          event,
          errors: result.errors ?? [],
        });
      } else {
        deliveries.push({
          id: event.id,
          type: event.type,
          status: result.status,
          position: result.position ?? null,
          warnings: result.status === 'accepted' ? (result.warnings ?? []) : [],
        });
      }
    });
    if (deliveries.length > 0) report(this.options.onDelivered, deliveries);
  }

  private oldestPending(): number {
    return Math.min(this.inflight[0]?.seq ?? Infinity, this.buffer.oldestSeq);
  }

  private settled(target: number): Promise<void> {
    if (this.oldestPending() > target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const oldest = this.oldestPending();
    this.waiters = this.waiters.filter((w) => {
      if (oldest <= w.target) return true;
      w.resolve();
      return false;
    });
  }
}

/**
 * A typed producer of the canonical client webinar events. Runs in browsers and Node 20+ (fetch, crypto,
 * setTimeout only). See docs/client.md.
 */
export function createClient(options: ClientOptions): WebinarEventsClient {
  return new Client(options);
}
