import type { TxPurpose } from '../port.js';

/** The second half of every advisory lock key; the first is the schema's namespace. */
export const LOCK = {
  migrations: 0,
  /** Held by every transaction that reads the head or the intake state to append: appends are serialized. */
  log: 1,
  classifier: 2,
  router: 3,
  relay: 4,
  /**
   * Tried, never waited for, by a relay in a transaction of its own connection held for a whole step (read the
   * checkpoint, publish, move it): relay copies take turns instead of each publishing everything. Not `relay`: the
   * step's own checkpoint transaction takes that one, on another connection, while the lease is held.
   */
  relayLease: 5,
} as const;
export type LockName = keyof typeof LOCK;

/**
 * The processor locks a transaction takes first, in this order. 'evaluation' runs the classifier, so it shares its
 * lock; it also takes the router's, because it writes `attendance` while holding the log lock, and a router step
 * writes `attendance` before it takes the log lock (README.md, "Concurrency"): with both processors excluded, no
 * transaction holding attendance rows can be waiting for the log lock that evaluation holds.
 */
export const PROCESSOR_LOCKS: Record<TxPurpose, readonly LockName[]> = {
  intake: [],
  classifier: ['classifier'],
  evaluation: ['classifier', 'router'],
  router: ['router'],
  relay: ['relay'],
};

/** Purposes that take the log lock at the start, not only when they append (see README.md). */
export const LOG_LOCK_AT_START: ReadonlySet<TxPurpose> = new Set<TxPurpose>(['intake', 'evaluation']);

/** FNV-1a of the schema name as a signed 32-bit integer: the lock namespace of one store. */
export function lockNamespace(schema: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(`webinar-events:${schema}`, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
