/** Something waiting to be delivered at `key` (seconds); `seq` breaks ties in the order things were queued. */
export interface Queued {
  readonly key: number;
  readonly seq: number;
}

/**
 * A binary min-heap by delivery time: what lets leads' sessions interleave by time while the simulator generates
 * one lead at a time. Its size is what bounds the simulator's memory; the caller delivers the earliest item
 * whenever it holds more than its window.
 */
export class DeliveryQueue<T extends Queued> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The delivery time of the earliest item, or +Infinity when empty. */
  get nextKey(): number {
    return this.items.length === 0 ? Infinity : this.items[0]!.key;
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest item; the queue must not be empty. */
  pop(): T {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      while (true) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(items[right]!, items[left]!) ? right : left;
        if (!before(items[child]!, last)) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

function before(a: Queued, b: Queued): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}
