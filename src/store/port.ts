import type { AttendanceRecord, AttendanceState } from '../attendance/index.js';
import type { DerivedEvent, EventType, LogEvent, Warning } from '../contract/index.js';
import type { IntakeKeys, MemoryIntakeState, PlannedAppend, PlannedRejection } from '../intake/index.js';

/** The state keys a batch of log events touches in the classifier's state. */
export interface AttendanceKeys {
  readonly records: Array<[string, string]>;
  readonly sessions: string[];
  readonly webinars: string[];
}

export interface EvaluationRecord {
  readonly id: string;
  readonly webinar_id: string;
  readonly requested_at: string;
  readonly requester: string;
  /** The log head when it was made: replay performs it after the client events up to there. */
  readonly at_position: number;
}

/**
 * One transaction on the store. The pipeline decides; the adapter only loads and writes what it is told.
 * Appends are serialized, so positions handed out under a transaction are gap-free in commit order.
 */
export interface StoreTx {
  /** The last position in the log (0 when empty). */
  head(): Promise<number>;
  loadIntakeState(keys: IntakeKeys): Promise<MemoryIntakeState>;
  appendClientEvents(appends: readonly PlannedAppend[], recordedAt: string): Promise<void>;
  quarantine(rejections: readonly PlannedRejection[], origin: string, receivedAt: string): Promise<void>;
  /** Appends derived events at consecutive positions after the head; returns the first position. */
  appendDerived(events: readonly DerivedEvent[], recordedAt: string): Promise<number>;
  checkpoint(processor: string): Promise<number>;
  setCheckpoint(processor: string, position: number): Promise<void>;
  /** Events of `types` after `after`, at most `limit` scanned; `last` is the last position scanned. */
  readLog(
    after: number,
    limit: number,
    types: readonly EventType[],
  ): Promise<{ events: LogEvent[]; last: number }>;
  /** Position, source and id of at most `limit` events after `after`, in order: the log's keys, no envelopes. */
  logKeys(after: number, limit: number): Promise<LogKey[]>;
  loadAttendance(keys: AttendanceKeys): Promise<AttendanceState>;
  /** Records of a webinar with an entry, no completion and no verdict (what an evaluation classifies). */
  awaitingEvaluation(webinarId: string): Promise<AttendanceRecord[]>;
  saveAttendance(state: AttendanceState): Promise<void>;
  recordEvaluation(evaluation: EvaluationRecord): Promise<void>;
  recordRoutes(routes: readonly DerivedEvent[]): Promise<void>;
}

export interface LogKey {
  readonly position: number;
  readonly source: string;
  readonly id: string;
}

export type TxPurpose = 'intake' | 'classifier' | 'router' | 'evaluation' | 'relay';

export interface FeedEvent {
  readonly position: number;
  readonly event: Record<string, unknown>;
  readonly warnings: Warning[] | null;
}

/**
 * Raw inputs in one page of the quarantine (the first rejection is always in it, whatever its size): rejected
 * bodies are kept whole, up to 4 MiB each, and a page of 1,000 of them would be gigabytes of JSON.
 */
export const REJECTIONS_PAGE_BYTES = 8 * 1024 * 1024;

/**
 * Which rejections a read returns: those with an error of one of `codes`, and those whose origin starts with
 * `originPrefix`; either left out means any. No index serves them: a filtered page reads rejections until it has
 * enough that pass (their errors and origin, not their raw inputs' content).
 */
export interface RejectionFilter {
  readonly codes?: readonly string[];
  readonly originPrefix?: string;
}

export interface RejectionRecord {
  readonly seq: number;
  readonly received_at: string;
  readonly origin: string;
  readonly id: string | null;
  readonly raw: string;
  readonly raw_encoding: 'utf8' | 'base64';
  readonly errors: unknown[];
}

export interface ReportLead {
  readonly lead_id: string;
  readonly registered: boolean;
  readonly entries: number;
  readonly lefts: number;
  readonly completions: number;
  readonly forms: number;
  readonly attended: boolean | null;
  readonly classified_at: string | null;
  readonly route: 'attended' | 'not_attended' | null;
  /** The lead's events in this webinar that carry each warning code (SPEC §3): `{}` when none. */
  readonly warnings: WarningCounts;
}

/** Events carrying each warning code, by code; codes without events are absent. */
export type WarningCounts = Readonly<Record<string, number>>;

export interface ReportTotals {
  readonly registered: number;
  readonly entered: number;
  readonly completed: number;
  readonly attended: number;
  readonly not_attended: number;
  readonly unclassified: number;
  readonly anonymous_entries: number;
  /** Events of the webinar that carry each warning code (SPEC §3), anonymous entries included. */
  readonly warnings: WarningCounts;
}

/** One webinar's leads counted as in its report's totals, for the list of webinars. */
export type WebinarSummary = { readonly webinar_id: string } & Omit<
  ReportTotals,
  'anonymous_entries' | 'warnings'
> & {
    /** Leads an explicit evaluation would classify now: entered, no completion, no verdict yet. */
    readonly awaiting_evaluation: number;
  };

/** A log row as stored, for `replay`: the envelope's own text, not a value parsed from it. */
export interface StoredLogRow {
  readonly position: number;
  /** Derived by the service (a classification or route: it has a causationid), else a client event. */
  readonly derived: boolean;
  /** For a client event, the JSON text it was submitted as (or its serialization, see STORED_TEXT_MAX_CHARS). */
  readonly envelope: string;
  readonly warnings: string | null;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs `work` in one transaction (serialized with the other writers of the same purpose). */
  transaction<T>(purpose: TxPurpose, work: (tx: StoreTx) => Promise<T>): Promise<T>;
  readEvents(after: number, limit: number, type?: string): Promise<FeedEvent[]>;
  /** At most `limit` log rows after `after`, in position order, as stored. */
  readStoredLog(after: number, limit: number): Promise<StoredLogRow[]>;
  /**
   * At most `limit` rejections after `after` that pass `filter`, and no more once `maxRawBytes` of raw inputs are
   * in the page.
   */
  readRejections(
    after: number,
    limit: number,
    maxRawBytes?: number,
    filter?: RejectionFilter,
  ): Promise<RejectionRecord[]>;
  /**
   * The newest rejections before `before` that pass `filter` (all of them when it is past the last): at most
   * `limit`, and no more once `maxRawBytes` of raw inputs are in the page (counted from the newest); returned
   * oldest first.
   */
  readRejectionsBefore(
    before: number,
    limit: number,
    maxRawBytes?: number,
    filter?: RejectionFilter,
  ): Promise<RejectionRecord[]>;
  /** Whether any rejection that passes `filter` has a seq below `seq`. */
  hasRejectionsBefore(seq: number, filter?: RejectionFilter): Promise<boolean>;
  /**
   * The highest seq in the quarantine (0 when empty). Seqs are taken in commit order (one writer at a time), so
   * once it is read, no rejection at or below it can still appear.
   */
  rejectionsHead(): Promise<number>;
  timeline(leadId: string, webinarId?: string): Promise<FeedEvent[]>;
  reportTotals(webinarId: string): Promise<ReportTotals>;
  reportLeads(webinarId: string, afterLead: string, limit: number): Promise<ReportLead[]>;
  /**
   * Runs `work` while holding the named lease, which one process at a time holds across several transactions and
   * the IO between them (the relay: read, publish, checkpoint); undefined, without running it, while another
   * process holds it. Released when `work` ends, or when the holder's connection is lost or idles out.
   */
  withLease<T>(name: 'relay', work: () => Promise<T>): Promise<T | undefined>;
  /** The webinars with leads, after `afterWebinar` in webinar_id order, at most `limit`. */
  webinars(afterWebinar: string, limit: number): Promise<WebinarSummary[]>;
  /** The recorded evaluation requests, oldest first: all of them, or one webinar's. */
  evaluations(webinarId?: string): Promise<EvaluationRecord[]>;
  checkpoints(): Promise<Record<string, number>>;
  head(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
