import { createHash } from 'node:crypto';
import type { Issue } from '../contract/index.js';
import type { FormsCatalog, Verdict } from '../intake/index.js';
import type { EvaluationRecord, EventStore, FeedEvent } from '../store/port.js';
import { drainClassifier, evaluateAttendance } from './classifier-processor.js';
import { systemClock, type Clock } from './clock.js';
import { ingestBatch, judgeValue } from './ingest.js';
import { drainRouter } from './router-processor.js';

/** Events and rejections read from the source per page. */
const PAGE = 1000;
/** Samples of each kind of difference kept for the report (the counts are complete). */
const SAMPLES = 20;

/** Where the replay writes: an empty store, judged with this forms catalog. */
export interface ReplayTarget {
  readonly store: EventStore;
  readonly forms: FormsCatalog;
  /** Kept with every rejection the target makes (`replay:<source>`). */
  readonly origin: string;
  readonly clock?: Clock;
}

export interface ReplayOptions {
  /** Client events per intake transaction (a batch is also cut before each recorded evaluation). */
  readonly batch: number;
  readonly onProgress?: (clientEvents: number) => void;
}

/** A client event the target judged otherwise than the source had: not accepted, or with other warnings. */
export interface ReplayDifference {
  readonly position: number;
  readonly id: string;
  readonly verdict: Verdict;
  readonly storedWarnings: unknown[];
}

export interface ReplayReport {
  readonly rejections: number;
  readonly clientEvents: number;
  readonly accepted: number;
  /** Client events the target did not accept (duplicate or rejected): counted, the first few kept. */
  readonly notAccepted: number;
  /** Accepted with other warnings than the source stored. */
  readonly otherWarnings: number;
  readonly differences: ReplayDifference[];
  readonly evaluations: number;
  readonly derived: DerivedComparison;
}

/** The source's derived events against the target's, by id; a payload compared without its time. */
export interface DerivedComparison {
  readonly source: number;
  readonly target: number;
  readonly same: number;
  /** Ids (first few) and counts: in the source only, in the target only, in both with another payload. */
  readonly missing: { readonly count: number; readonly ids: string[] };
  readonly extra: { readonly count: number; readonly ids: string[] };
  readonly differing: { readonly count: number; readonly ids: string[] };
}

/** Why a replay did not start: the target holds something already. Nothing was written. */
export class ReplayTargetNotEmpty extends Error {}

const isDerived = (stored: FeedEvent): boolean =>
  String(stored.event['source']).startsWith('webinar-events/');

/**
 * A derived event as SPEC §6 compares replays: everything but the time it was made (the CloudEvents `time` and
 * the classification's `timestamp`). Hashed, so a large store's comparison holds 40 characters an event.
 */
function derivedDigest(event: Record<string, unknown>): string {
  const { id, source, type, causationid } = event;
  const { timestamp: _timestamp, ...data } = event['data'] as Record<string, unknown>;
  return createHash('sha1').update(JSON.stringify({ id, source, type, causationid, data })).digest('hex');
}

/** The client event as it was submitted: the stored envelope without what the feed adds. */
function submitted(stored: FeedEvent): Record<string, unknown> {
  const { position: _position, recordedat: _recordedat, ...event } = stored.event;
  return event;
}

async function assertEmpty(store: EventStore): Promise<void> {
  const held: string[] = [];
  const head = await store.head();
  if (head > 0) held.push(`events up to position ${head.toLocaleString('en')}`);
  if ((await store.rejectionsHead()) > 0) held.push('rejected inputs');
  const evaluations = (await store.evaluations()).length;
  if (evaluations > 0) held.push(`${evaluations.toLocaleString('en')} evaluations`);
  if (held.length > 0) {
    throw new ReplayTargetNotEmpty(`the target store is not empty (it holds ${held.join(', ')})`);
  }
}

/**
 * SPEC §6 as an operation: the source's quarantine copied as it is (origin, time, raw input, errors), then its
 * client events in log order through the target's intake, each recorded evaluation request replayed (same id,
 * time and requester) after exactly the events it saw, the target's processors run to the end, and the derived
 * events of the two stores compared. The target must be empty; the source is only read.
 */
export async function replayStore(
  source: EventStore,
  target: ReplayTarget,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const { store } = target;
  const clock = target.clock ?? systemClock;
  await assertEmpty(store);
  const rejections = await copyQuarantine(source, store);

  const evaluations = [...(await source.evaluations())].sort((a, b) => a.at_position - b.at_position);
  let nextEvaluation = 0;
  const evaluate = async (record: EvaluationRecord): Promise<void> => {
    await evaluateAttendance(
      store,
      {
        webinarId: record.webinar_id,
        requester: record.requester,
        id: record.id,
        requestedAt: record.requested_at,
      },
      clock,
    );
  };

  const sourceDerived = new Map<string, string>();
  let clientEvents = 0;
  let accepted = 0;
  let notAccepted = 0;
  let otherWarnings = 0;
  const differences: ReplayDifference[] = [];
  let pending: FeedEvent[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const verdicts = await ingestBatch(
      store,
      batch.map((stored) => judgeValue(submitted(stored))),
      { forms: target.forms, origin: target.origin, clock, inlineProcessors: store.kind === 'sqlite' },
    );
    verdicts.forEach((verdict, i) => {
      const stored = batch[i]!;
      const storedWarnings = stored.warnings ?? [];
      let differs = true;
      if (verdict.status !== 'accepted') notAccepted++;
      else {
        accepted++;
        if (JSON.stringify(verdict.warnings) === JSON.stringify(storedWarnings)) differs = false;
        else otherWarnings++;
      }
      if (differs && differences.length < SAMPLES) {
        differences.push({
          position: stored.position,
          id: String(stored.event['id']),
          verdict,
          storedWarnings,
        });
      }
    });
    clientEvents += batch.length;
    options.onProgress?.(clientEvents);
  };

  for (let after = 0; ;) {
    const page = await source.readEvents(after, PAGE);
    if (page.length === 0) break;
    for (const stored of page) {
      if (isDerived(stored)) {
        sourceDerived.set(String(stored.event['id']), derivedDigest(stored.event));
        continue;
      }
      // An evaluation saw the log up to its at_position: it runs before any later client event is taken.
      while (
        nextEvaluation < evaluations.length &&
        evaluations[nextEvaluation]!.at_position < stored.position
      ) {
        await flush();
        await evaluate(evaluations[nextEvaluation++]!);
      }
      pending.push(stored);
      if (pending.length >= options.batch) await flush();
    }
    after = page[page.length - 1]!.position;
  }
  await flush();
  while (nextEvaluation < evaluations.length) await evaluate(evaluations[nextEvaluation++]!);
  await drainClassifier(store, clock);
  await drainRouter(store, clock);

  return {
    rejections,
    clientEvents,
    accepted,
    notAccepted,
    otherWarnings,
    differences,
    evaluations: evaluations.length,
    derived: await compareDerived(sourceDerived, store),
  };
}

/** Copies the quarantine page by page, each rejection with its own origin and time, in its order. */
async function copyQuarantine(source: EventStore, target: EventStore): Promise<number> {
  let copied = 0;
  for (let after = 0; ;) {
    const page = await source.readRejections(after, PAGE);
    if (page.length === 0) return copied;
    await target.transaction('intake', async (tx) => {
      for (const r of page) {
        const rejection = { id: r.id, raw: r.raw, rawEncoding: r.raw_encoding, errors: r.errors as Issue[] };
        await tx.quarantine([rejection], r.origin, r.received_at);
      }
    });
    copied += page.length;
    after = page[page.length - 1]!.seq;
  }
}

async function compareDerived(
  sourceDerived: Map<string, string>,
  target: EventStore,
): Promise<DerivedComparison> {
  const missing = new Set(sourceDerived.keys());
  const extra: string[] = [];
  const differing: string[] = [];
  let targetCount = 0;
  let same = 0;
  let extraCount = 0;
  let differingCount = 0;
  for (let after = 0; ;) {
    const page = await target.readEvents(after, PAGE);
    if (page.length === 0) break;
    for (const stored of page) {
      if (!isDerived(stored)) continue;
      targetCount++;
      const id = String(stored.event['id']);
      const expected = sourceDerived.get(id);
      missing.delete(id);
      if (expected === undefined) {
        if (extraCount++ < SAMPLES) extra.push(id);
      } else if (expected !== derivedDigest(stored.event)) {
        if (differingCount++ < SAMPLES) differing.push(id);
      } else same++;
    }
    after = page[page.length - 1]!.position;
  }
  return {
    source: sourceDerived.size,
    target: targetCount,
    same,
    missing: { count: missing.size, ids: [...missing].slice(0, SAMPLES) },
    extra: { count: extraCount, ids: extra },
    differing: { count: differingCount, ids: differing },
  };
}

/** Whether the target judged every client event as the source had and derived the same events. */
export function replayMatched(report: ReplayReport): boolean {
  const { derived } = report;
  return (
    report.notAccepted === 0 &&
    report.otherWarnings === 0 &&
    derived.missing.count === 0 &&
    derived.extra.count === 0 &&
    derived.differing.count === 0
  );
}
