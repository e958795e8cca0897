import type { LogEvent } from '../contract/index.js';

/**
 * The events this process committed to the log lately, by position, for its own processors. Where the processors
 * run in transactions of their own (PostgreSQL), each step would otherwise read back, and parse, the envelopes
 * that the intake (or the other processor) of this very process has just written. A step takes the positions
 * after its checkpoint from here as long as they follow each other without a gap, and reads the log for the rest:
 * an event another process appended is never here, so the step reads from the first position it finds missing.
 *
 * Only committed events are added (after the commit). A position, once committed, does not change, unless the
 * database itself falls behind a commit it acknowledged (a failover to a replica that had not received it, a
 * restore): so a processor takes from here only the events whose position, source and id the log confirms
 * (pendingEvents, one query over keys, no envelopes). Bounded: the oldest are dropped first, and a processor that
 * fell further behind reads the log as without it.
 */
export class RecentLog {
  private readonly events = new Map<number, LogEvent>();

  constructor(private readonly capacity = 10_000) {}

  /** Events of a committed transaction. */
  add(events: readonly LogEvent[]): void {
    for (const event of events) this.events.set(event.position, event);
    if (this.events.size <= this.capacity) return;
    let excess = this.events.size - this.capacity;
    for (const position of this.events.keys()) {
      if (excess-- <= 0) break;
      this.events.delete(position);
    }
  }

  /** The events at after+1, after+2, … (at most `limit`), up to the first position not here. */
  take(after: number, limit: number): LogEvent[] {
    const out: LogEvent[] = [];
    for (let position = after + 1; out.length < limit; position++) {
      const event = this.events.get(position);
      if (event === undefined) break;
      out.push(event);
    }
    return out;
  }

  get size(): number {
    return this.events.size;
  }
}
