import type { DerivedEvent } from '../contract/index.js';
import type { EventBus } from '../bus/port.js';
import type { EventStore } from '../store/port.js';
import { drainClassifier } from './classifier-processor.js';
import { systemClock, type Clock } from './clock.js';
import { drainRelay } from './relay-processor.js';
import type { RecentLog } from './recent-log.js';
import { drainRouter } from './router-processor.js';

export interface ProcessorObserver {
  derived?(events: readonly DerivedEvent[]): void;
  failed?(error: unknown): void;
}

export interface ProcessorSet {
  readonly classifier: boolean;
  readonly router: boolean;
  /** Publishes the log to the bus after the others (when a bus is configured). */
  readonly bus: EventBus | null;
  /** What this process committed lately, which the classifier and router take instead of reading the log back. */
  readonly recent?: RecentLog | undefined;
}

/**
 * The embedded runtime's processors: woken in-process after each commit, they run the classifier, the router and
 * the bus relay (when a bus is configured) until all have caught up. Wakes during a run are coalesced into one more run. A failed run is retried.
 */
export class InProcessProcessors {
  private running: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly poll: NodeJS.Timeout;
  private closed = false;
  /** Aborted at close: a drain stops between transactions instead of catching up with a whole backlog first. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: EventStore,
    private readonly observer: ProcessorObserver = {},
    private readonly set: ProcessorSet = { classifier: true, router: true, bus: null },
    private readonly clock: Clock = systemClock,
  ) {
    // Other processes (API instances, ingest runs) may append too: look for their events every second.
    this.poll = setInterval(() => this.wake(), 1000);
    this.poll.unref();
  }

  wake(): void {
    if (this.closed) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Wakes the processors and resolves when they have caught up with everything committed so far. */
  async drain(): Promise<void> {
    this.wake();
    while (this.running !== null) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    clearInterval(this.poll);
    if (this.retry !== null) clearTimeout(this.retry);
    while (this.running !== null) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        const signal = this.stopping.signal;
        const { recent } = this.set;
        const classified = this.set.classifier
          ? await drainClassifier(this.store, this.clock, signal, recent)
          : [];
        const routed = this.set.router ? await drainRouter(this.store, this.clock, signal, recent) : [];
        if (classified.length + routed.length > 0) this.observer.derived?.([...classified, ...routed]);
        if (this.set.bus !== null) await drainRelay(this.store, this.set.bus, signal);
      } catch (error) {
        this.observer.failed?.(error);
        if (!this.closed && this.retry === null) {
          this.retry = setTimeout(() => {
            this.retry = null;
            this.wake();
          }, 1000);
          this.retry.unref();
        }
        return;
      }
    } while (this.again && !this.closed);
  }
}
