import type { Issue } from '../contract/index.js';
import type { FormsCatalog, Verdict } from '../intake/index.js';
import type { EvaluationRecord, EventStore, StoredLogRow } from '../store/port.js';
import { drainClassifier, evaluateAttendance } from './classifier-processor.js';
import { systemClock, type Clock } from './clock.js';
import { ingestBatch, judgeText } from './ingest.js';
import { drainRouter } from './router-processor.js';
import {
  SAMPLES,
  addDerived,
  compareLogs,
  storedLog,
  type DerivedComparison,
  type OtherTexts,
  type WebinarDigest,
} from './replay-compare.js';

export type { DerivedComparison, OtherTexts } from './replay-compare.js';

/** Rejections read from the source per page. */
const PAGE = 1000;

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
  /**
   * Asked before each page of the quarantine, each batch and each evaluation: true stops the replay there
   * (ReplayInterrupted). The processors' last drain and the comparison run to the end.
   */
  readonly stopRequested?: () => boolean;
  /** Called once the target is found empty, before anything is written to it. */
  readonly onFirstWrite?: () => void;
}

/** What a replay had written when it stopped early: the target holds a partial copy. */
export class ReplayInterrupted extends Error {
  constructor(
    readonly written: {
      readonly rejections: number;
      readonly clientEvents: number;
      readonly evaluations: number;
    },
  ) {
    super('replay stopped before the end');
  }
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
  /**
   * Client events stored with another text than the source's (compared in log order when every one was
   * accepted; `null` when not compared).
   */
  readonly otherTexts: OtherTexts;
  readonly evaluations: number;
  readonly derived: DerivedComparison;
  /**
   * What was replayed: the source's log up to `head` and its quarantine up to `rejections` (seq), as they were at
   * the start. `changed`: the source was written meanwhile (what came after is not in the copy).
   */
  readonly source: { readonly head: number; readonly rejections: number; readonly changed: boolean };
}

/** Why a replay did not start: the target holds something already. Nothing was written. */
export class ReplayTargetNotEmpty extends Error {}

async function assertEmpty(store: EventStore): Promise<void> {
  const held: string[] = [];
  const head = await store.head();
  if (head > 0) held.push(`events up to position ${head.toLocaleString('en')}`);
  if ((await store.rejectionsHead()) > 0) held.push('rejected inputs');
  const evaluations = (await store.evaluations()).length;
  if (evaluations > 0)
    held.push(`${evaluations.toLocaleString('en')} evaluation${evaluations === 1 ? '' : 's'}`);
  if (held.length > 0) {
    throw new ReplayTargetNotEmpty(`the target store is not empty (it holds ${held.join(', ')})`);
  }
}

/**
 * SPEC §6 as an operation: the source's quarantine copied as it is (origin, time, raw input, errors), then its
 * client events in log order through the target's intake, each as the text it was stored as, each recorded
 * evaluation request replayed (same id, time and requester) after exactly the events it saw, the target's
 * processors run to the end, and the two stores compared. The target must be empty; the source is only read.
 */
export async function replayStore(
  source: EventStore,
  target: ReplayTarget,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const { store } = target;
  const clock = target.clock ?? systemClock;
  await assertEmpty(store);
  // One snapshot of the source: its writers should be stopped, and if they are not, what they add later is left
  // out consistently (and reported).
  const recorded = await source.evaluations();
  const snapshot = { head: await source.head(), rejections: await source.rejectionsHead() };
  const evaluations = recorded
    .filter((e) => e.at_position <= snapshot.head)
    .sort((a, b) => a.at_position - b.at_position);
  let evaluated = 0;
  let clientEvents = 0;
  let rejections = 0;
  const checkStop = async (): Promise<void> => {
    // With SQLite on both sides every await here settles at once: without a turn of the event loop, a signal's
    // handler (which sets stopRequested) would not run before the replay ends.
    await new Promise((resolve) => setImmediate(resolve));
    if (options.stopRequested?.() === true) {
      throw new ReplayInterrupted({ rejections, clientEvents, evaluations: evaluated });
    }
  };
  options.onFirstWrite?.();
  rejections = await copyQuarantine(source, store, snapshot.rejections, async (copied) => {
    rejections = copied;
    await checkStop();
  });

  let nextEvaluation = 0;
  const evaluate = async (record: EvaluationRecord): Promise<void> => {
    await checkStop();
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
    evaluated++;
  };

  const sourceDerived = new Map<string, WebinarDigest>();
  let accepted = 0;
  let notAccepted = 0;
  let otherWarnings = 0;
  const differences: ReplayDifference[] = [];
  let pending: StoredLogRow[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await checkStop();
    const batch = pending;
    pending = [];
    const verdicts = await ingestBatch(
      store,
      batch.map((row) => judgeText(row.envelope)),
      { forms: target.forms, origin: target.origin, clock, inlineProcessors: store.kind === 'sqlite' },
    );
    verdicts.forEach((verdict, i) => {
      const row = batch[i]!;
      let differs = true;
      if (verdict.status !== 'accepted') notAccepted++;
      else {
        accepted++;
        const warnings = verdict.warnings.length > 0 ? JSON.stringify(verdict.warnings) : null;
        if (warnings === row.warnings) differs = false;
        else otherWarnings++;
      }
      if (differs && differences.length < SAMPLES) {
        const storedWarnings = row.warnings === null ? [] : (JSON.parse(row.warnings) as unknown[]);
        differences.push({ position: row.position, id: verdict.id ?? '', verdict, storedWarnings });
      }
    });
    clientEvents += batch.length;
    options.onProgress?.(clientEvents);
  };

  for await (const row of storedLog(source, snapshot.head)) {
    if (row.derived) {
      addDerived(sourceDerived, row.envelope);
      continue;
    }
    // An evaluation saw the log up to its at_position: it runs before any later client event is taken.
    while (nextEvaluation < evaluations.length && evaluations[nextEvaluation]!.at_position < row.position) {
      await flush();
      await evaluate(evaluations[nextEvaluation++]!);
    }
    pending.push(row);
    if (pending.length >= options.batch) await flush();
  }
  await flush();
  while (nextEvaluation < evaluations.length) await evaluate(evaluations[nextEvaluation++]!);
  await drainClassifier(store, clock);
  await drainRouter(store, clock);

  const compared = await compareLogs(source, store, sourceDerived, notAccepted === 0, snapshot.head);
  const changed =
    (await source.head()) !== snapshot.head ||
    (await source.rejectionsHead()) !== snapshot.rejections ||
    (await source.evaluations()).length !== recorded.length;
  return {
    rejections,
    clientEvents,
    accepted,
    notAccepted,
    otherWarnings,
    differences,
    otherTexts: compared.otherTexts,
    evaluations: evaluations.length,
    derived: compared.derived,
    source: { ...snapshot, changed },
  };
}

/**
 * Copies the quarantine page by page, in its order, each rejection with its own origin and time (one insert call
 * per run of rejections sharing both). The target numbers them afresh.
 */
async function copyQuarantine(
  source: EventStore,
  target: EventStore,
  upTo: number,
  beforePage: (copied: number) => Promise<void>,
): Promise<number> {
  let copied = 0;
  for (let after = 0; ;) {
    await beforePage(copied);
    const page = (await source.readRejections(after, PAGE)).filter((r) => r.seq <= upTo);
    if (page.length === 0) return copied;
    await target.transaction('intake', async (tx) => {
      for (let i = 0; i < page.length;) {
        const { origin, received_at } = page[i]!;
        let end = i + 1;
        while (end < page.length && page[end]!.origin === origin && page[end]!.received_at === received_at)
          end++;
        const run = page.slice(i, end).map((r) => ({
          id: r.id,
          raw: r.raw,
          rawEncoding: r.raw_encoding,
          errors: r.errors as Issue[],
        }));
        await tx.quarantine(run, origin, received_at);
        i = end;
      }
    });
    copied += page.length;
    after = page[page.length - 1]!.seq;
  }
}

/** Whether the target judged every client event as the source had and derived the same events. */
export function replayMatched(report: ReplayReport): boolean {
  return (
    report.notAccepted === 0 &&
    report.otherWarnings === 0 &&
    report.otherTexts?.count === 0 &&
    report.derived.differingWebinars === 0 &&
    !report.source.changed
  );
}
