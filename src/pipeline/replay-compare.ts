/** The comparison `replay` makes of two stores' logs (replay.ts), and its reading of a log as stored. */
import { createHash } from 'node:crypto';
import type { EventStore, StoredLogRow } from '../store/port.js';

/** Log rows read per page. */
const PAGE = 1000;
/** Samples of each kind of difference kept for the report (the counts are complete). */
export const SAMPLES = 20;

/** Client events stored with another text than the source's, or null when not compared. */
export type OtherTexts = { readonly count: number; readonly positions: number[] } | null;

/**
 * The source's derived events against the target's, webinar by webinar: a count and an order-independent digest
 * of each webinar's derived events (ids and payloads without the time they were made), so a store of any size is
 * compared in memory proportional to its webinars.
 */
export interface DerivedComparison {
  readonly source: number;
  readonly target: number;
  /** Webinars whose derived events differ (count, and the first few with each side's count). */
  readonly differingWebinars: number;
  readonly webinars: Array<{ readonly webinar_id: string; readonly source: number; readonly target: number }>;
}

/** A webinar's derived events: how many, and the sum of their digests modulo 2^128. */
export interface WebinarDigest {
  count: number;
  sum: bigint;
}
const MOD = 1n << 128n;

/**
 * Adds a derived event to its webinar's digest, as SPEC §6 compares replays: everything but the time it was made
 * (the CloudEvents `time` and the classification's `timestamp`).
 */
export function addDerived(digests: Map<string, WebinarDigest>, envelope: string): void {
  const event = JSON.parse(envelope) as Record<string, unknown>;
  const { id, source, type, causationid } = event;
  const { timestamp: _timestamp, ...data } = event['data'] as Record<string, unknown>;
  const hash = createHash('sha1').update(JSON.stringify({ id, source, type, causationid, data })).digest();
  const webinar = String(data['webinar_id']);
  const digest = digests.get(webinar) ?? { count: 0, sum: 0n };
  digest.count++;
  digest.sum = (digest.sum + BigInt(`0x${hash.subarray(0, 16).toString('hex')}`)) % MOD;
  digests.set(webinar, digest);
}

/** The rows of a store's log, page by page, in position order. */
export async function* storedLog(store: EventStore, upTo = Infinity): AsyncGenerator<StoredLogRow> {
  for (let after = 0; ;) {
    const page = await store.readStoredLog(after, PAGE);
    for (const row of page) {
      if (row.position > upTo) return;
      yield row;
    }
    if (page.length === 0) return;
    after = page[page.length - 1]!.position;
  }
}

/**
 * Reads the target's log once: its derived events digested webinar by webinar against the source's and, when
 * `compareTexts`, its client events' texts against the source's, in log order (a second cursor on the source).
 */
export async function compareLogs(
  source: EventStore,
  target: EventStore,
  sourceDerived: Map<string, WebinarDigest>,
  compareTexts: boolean,
  sourceHead: number,
): Promise<{ derived: DerivedComparison; otherTexts: OtherTexts }> {
  const targetDerived = new Map<string, WebinarDigest>();
  const sourceClients = storedLog(source, sourceHead);
  let otherTexts = 0;
  const positions: number[] = [];
  try {
    for await (const row of storedLog(target)) {
      if (row.derived) {
        addDerived(targetDerived, row.envelope);
        continue;
      }
      if (!compareTexts) continue;
      let original = await sourceClients.next();
      while (!original.done && original.value.derived) original = await sourceClients.next();
      if (original.done || original.value.envelope !== row.envelope) {
        otherTexts++;
        if (positions.length < SAMPLES)
          positions.push(original.done ? row.position : original.value.position);
      }
    }
  } finally {
    await sourceClients.return(undefined);
  }
  const webinars: DerivedComparison['webinars'] = [];
  let differingWebinars = 0;
  let sourceCount = 0;
  let targetCount = 0;
  for (const id of new Set([...sourceDerived.keys(), ...targetDerived.keys()])) {
    const a = sourceDerived.get(id) ?? { count: 0, sum: 0n };
    const b = targetDerived.get(id) ?? { count: 0, sum: 0n };
    sourceCount += a.count;
    targetCount += b.count;
    if (a.count === b.count && a.sum === b.sum) continue;
    if (differingWebinars++ < SAMPLES) webinars.push({ webinar_id: id, source: a.count, target: b.count });
  }
  return {
    derived: { source: sourceCount, target: targetCount, differingWebinars, webinars },
    otherTexts: compareTexts ? { count: otherTexts, positions } : null,
  };
}
