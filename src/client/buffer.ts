import { utf8Length } from '../contract/utf8.js';
import type { PreparedEvent } from './validate.js';
import type { OverflowPolicy } from './types.js';

/** A buffered event with its place in emission order. */
export interface Queued extends PreparedEvent {
  readonly seq: number;
  readonly bytes: number;
}

export type PushResult =
  | { readonly queued: true; readonly dropped: readonly Queued[] }
  | { readonly queued: false; readonly dropped: readonly Queued[] };

/**
 * A bounded FIFO of events waiting to be sent. When full, `drop-oldest` lets the oldest waiting event go,
 * `drop-newest` and `throw` refuse the new one (the caller throws for `throw`).
 */
export class EventBuffer {
  private items: Queued[] = [];
  private head = 0;
  private nextSeq = 1;

  constructor(
    readonly capacity: number,
    readonly policy: OverflowPolicy,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('maxBuffer must be an integer >= 1');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Sequence number of the last event pushed (0 before any). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Sequence number of the oldest waiting event, or Infinity. */
  get oldestSeq(): number {
    return this.items[this.head]?.seq ?? Infinity;
  }

  push(event: PreparedEvent): PushResult {
    const item: Queued = { ...event, seq: this.nextSeq++, bytes: utf8Length(event.json) };
    if (this.size < this.capacity) {
      this.items.push(item);
      return { queued: true, dropped: [] };
    }
    if (this.policy === 'drop-oldest') {
      const oldest = this.items[this.head]!;
      this.head++;
      this.items.push(item);
      this.compact();
      return { queued: true, dropped: [oldest] };
    }
    return { queued: false, dropped: [item] };
  }

  /** Removes and returns the next batch: at most `maxCount` events and `maxBytes` bytes (at least one event). */
  take(maxCount: number, maxBytes: number): Queued[] {
    const batch: Queued[] = [];
    let bytes = 2; // the brackets of the JSON array
    while (this.head < this.items.length && batch.length < maxCount) {
      const item = this.items[this.head]!;
      const added = item.bytes + (batch.length > 0 ? 1 : 0); // the comma
      if (batch.length > 0 && bytes + added > maxBytes) break;
      batch.push(item);
      bytes += added;
      this.head++;
    }
    this.compact();
    return batch;
  }

  /** Removes and returns everything waiting. */
  drain(): Queued[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
