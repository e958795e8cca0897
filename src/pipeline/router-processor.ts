import { CLASSIFIED, type DerivedEvent } from '../contract/index.js';
import { routeClassification } from '../routing/index.js';
import type { EventStore, StoreTx } from '../store/port.js';
import { systemClock, type Clock } from './clock.js';
import {
  appendAsFresh,
  drainSteps,
  pendingEvents,
  type FreshLog,
  type StepResult,
} from './classifier-processor.js';
import type { RecentLog } from './recent-log.js';

export const ROUTER = 'post-webinar-routing';

/** One router step in an open transaction: each classification after the checkpoint gets its route. */
export async function routePending(
  tx: StoreTx,
  limit: number,
  now: string,
  fresh?: FreshLog,
  recent?: RecentLog,
): Promise<StepResult> {
  const after = await tx.checkpoint(ROUTER);
  const { events, last } = await pendingEvents(tx, after, limit, [CLASSIFIED], fresh, recent);
  if (last === after) return { scanned: 0, derived: [] };
  const routes = events.map(routeClassification);
  if (routes.length > 0) await tx.recordRoutes(routes);
  await tx.setCheckpoint(ROUTER, last);
  // The append last: on PostgreSQL it takes the log lock, held from here to the commit only (classifyPending).
  const appended = await appendAsFresh(tx, routes, now);
  return { scanned: last - after, derived: routes, ...(appended && { appended }) };
}

/** Router steps until caught up (drainSteps). */
export function drainRouter(
  store: EventStore,
  clock: Clock = systemClock,
  signal?: AbortSignal,
  recent?: RecentLog,
): Promise<DerivedEvent[]> {
  return drainSteps(store, 'router', routePending, clock, signal, recent);
}
