import type { EventBus } from '../bus/port.js';
import type { EventStore } from '../store/port.js';

export const RELAY = 'bus-relay';
export const RELAY_BATCH = 1000;

/**
 * The checkpointed relay: publishes every stored event after its checkpoint, then moves the checkpoint
 * forward. A crash between publish and checkpoint re-publishes, and the broker drops the repeat by message id.
 * The step holds the store's relay lease, so relays of several processes take turns (PostgreSQL) instead of each
 * publishing every event: a relay that finds it held does nothing this time and looks again at its next poll or
 * wake-up. Where there is no lease (SQLite) they each publish, and the checkpoint only moves forward.
 */
export async function relayPending(store: EventStore, bus: EventBus, limit = RELAY_BATCH): Promise<number> {
  // Another process holding the lease is publishing: nothing to do here for now (0, as when caught up).
  const published = await store.withLease('relay', async () => {
    const after = (await store.checkpoints())[RELAY] ?? 0;
    const page = await store.readEvents(after, limit);
    if (page.length === 0) return 0;
    await bus.publish(page.map((e) => e.event));
    const last = page[page.length - 1]!.position;
    await store.transaction('relay', async (tx) => {
      if ((await tx.checkpoint(RELAY)) < last) await tx.setCheckpoint(RELAY, last);
    });
    return page.length;
  });
  return published ?? 0;
}

/** Publishes page after page until it has caught up with the log, or `signal` aborts. */
export async function drainRelay(store: EventStore, bus: EventBus, signal?: AbortSignal): Promise<number> {
  let total = 0;
  while (signal?.aborted !== true) {
    const n = await relayPending(store, bus);
    total += n;
    if (n === 0) break;
  }
  return total;
}
