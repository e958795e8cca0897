import { CLASSIFIED, type DerivedEvent } from '../contract/index.js';
import { routeClassification } from '../routing/index.js';
import type { EventStore, StoreTx } from '../store/port.js';
import { systemClock, type Clock } from './clock.js';
import { PROCESSOR_BATCH, pendingEvents, type FreshLog, type StepResult } from './classifier-processor.js';

export const ROUTER = 'post-webinar-routing';

/** One router step in an open transaction: each classification after the checkpoint gets its route. */
export async function routePending(
  tx: StoreTx,
  limit: number,
  now: string,
  fresh?: FreshLog,
): Promise<StepResult> {
  const after = await tx.checkpoint(ROUTER);
  const { events, last } = await pendingEvents(tx, after, limit, [CLASSIFIED], fresh);
  if (last === after) return { scanned: 0, derived: [] };
  const routes = events.map(routeClassification);
  if (routes.length > 0) await tx.recordRoutes(routes);
  await tx.setCheckpoint(ROUTER, last);
  // The append last: on PostgreSQL it takes the log lock, held from here to the commit only (classifyPending).
  if (routes.length > 0) await tx.appendDerived(routes, now);
  return { scanned: last - after, derived: routes };
}

/** Runs router steps (a transaction each) until it has caught up with the log, or `signal` aborts. */
export async function drainRouter(
  store: EventStore,
  clock: Clock = systemClock,
  signal?: AbortSignal,
): Promise<DerivedEvent[]> {
  const all: DerivedEvent[] = [];
  while (signal?.aborted !== true) {
    const step = await store.transaction('router', (tx) => routePending(tx, PROCESSOR_BATCH, clock()));
    all.push(...step.derived);
    if (step.scanned === 0) break;
  }
  return all;
}
