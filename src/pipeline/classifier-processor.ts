import { AttendanceState, evaluateWebinar, evolveAttendance, attendanceKeysOf } from '../attendance/index.js';
import { CLIENT_EVENT_TYPES, type DerivedEvent, type EventType, type LogEvent } from '../contract/index.js';
import type { AttendanceKeys, EventStore, StoreTx } from '../store/port.js';
import { systemClock, type Clock } from './clock.js';
import type { RecentLog } from './recent-log.js';
import { randomUUID } from 'node:crypto';

export const CLASSIFIER = 'attendance-classifier';
export const PROCESSOR_BATCH = 2000;

function keysOf(events: readonly LogEvent[]): AttendanceKeys {
  const keys: AttendanceKeys = { records: [], sessions: [], webinars: [] };
  for (const event of events) {
    const { lead, webinar, session } = attendanceKeysOf(event);
    if (webinar !== undefined) keys.webinars.push(webinar);
    if (lead !== undefined && webinar !== undefined) keys.records.push([lead, webinar]);
    if (session !== undefined) keys.sessions.push(session);
  }
  // An anonymous entry or a session event may reach the record of the session's lead.
  return keys;
}

export interface StepResult {
  readonly scanned: number;
  readonly derived: DerivedEvent[];
  /** Where the derived events landed in the log. */
  readonly appended?: FreshLog;
}

/**
 * Positions `first`..`last` were appended in the current transaction, and `events` are all of them that a
 * processor cares about: it may take them instead of reading the log back.
 */
export interface FreshLog {
  readonly first: number;
  readonly last: number;
  readonly events: readonly LogEvent[];
}

/**
 * What a processor has to read after its checkpoint. Events appended in this very transaction (`fresh`) are taken
 * as they are instead of being read back; only the positions between the checkpoint and them are read (in the
 * embedded runtime, the derived events of the previous batch, whose envelopes a scan of other types skips).
 * Otherwise the positions right after the checkpoint that this process committed lately (`recent`) are taken from
 * memory, up to the first one it does not hold; and only without any of those is the log read.
 */
export async function pendingEvents(
  tx: StoreTx,
  after: number,
  limit: number,
  types: readonly EventType[],
  fresh?: FreshLog,
  recent?: RecentLog,
): Promise<{ events: readonly LogEvent[]; last: number }> {
  if (fresh !== undefined && fresh.first > after && fresh.first - 1 - after <= limit) {
    const gap = fresh.first - 1 - after;
    const before = gap > 0 ? await tx.readLog(after, gap, types) : { events: [], last: after };
    if (before.last === fresh.first - 1) {
      const own = ofTypes(fresh.events, types);
      return { events: before.events.length > 0 ? [...before.events, ...own] : own, last: fresh.last };
    }
  }
  const remembered = await confirmedInLog(tx, after, recent?.take(after, limit) ?? []);
  if (remembered.length > 0) {
    return { events: ofTypes(remembered, types), last: remembered[remembered.length - 1]!.position };
  }
  return tx.readLog(after, limit, types);
}

/** The events of `types` among `events` (taken from memory, where readLog would have filtered them). */
function ofTypes(events: readonly LogEvent[], types: readonly EventType[]): LogEvent[] {
  const wanted = new Set<string>(types);
  return events.filter((e) => wanted.has(e.type));
}

/**
 * The leading events of `remembered` that the log holds as they are: the same source and id at the same position.
 * What this process remembers is what it committed, but a database can fall behind a commit it acknowledged (a
 * failover to a replica that had not received it, a restore): then the log's keys differ, or end, and the
 * processor reads the log instead. One query over keys, no envelopes.
 */
async function confirmedInLog(
  tx: StoreTx,
  after: number,
  remembered: readonly LogEvent[],
): Promise<readonly LogEvent[]> {
  if (remembered.length === 0) return remembered;
  const keys = await tx.logKeys(after, remembered.length);
  let same = 0;
  while (same < keys.length) {
    const key = keys[same]!;
    const event = remembered[same]!;
    if (key.position !== event.position || key.source !== event.source || key.id !== event.id) break;
    same++;
  }
  return same === remembered.length ? remembered : remembered.slice(0, same);
}

/** Appends derived events and describes where they landed. */
export async function appendAsFresh(
  tx: StoreTx,
  derived: DerivedEvent[],
  now: string,
): Promise<FreshLog | undefined> {
  if (derived.length === 0) return undefined;
  const first = await tx.appendDerived(derived, now);
  const events = derived.map((e, i): LogEvent => ({
    position: first + i,
    source: e.source,
    id: e.id,
    type: e.type,
    data: e.data,
  }));
  return { first, last: first + derived.length - 1, events };
}

/**
 * One classifier step inside an open transaction: read after the checkpoint, evolve the state, append the
 * classifications and move the checkpoint, all in that transaction, so a crash neither loses nor doubles one.
 */
export async function classifyPending(
  tx: StoreTx,
  limit: number,
  now: string,
  fresh?: FreshLog,
  recent?: RecentLog,
): Promise<StepResult> {
  const after = await tx.checkpoint(CLASSIFIER);
  const { events, last } = await pendingEvents(tx, after, limit, CLIENT_EVENT_TYPES, fresh, recent);
  if (last === after) return { scanned: 0, derived: [] };
  const state = await tx.loadAttendance(keysOf(events));
  // Records reached through a session's lead are loaded as the sessions become known.
  const sessionLeads = [...state.sessions.values()]
    .filter((s) => s.lead_id !== null)
    .map((s): [string, string] => [s.lead_id!, s.webinar_id]);
  if (sessionLeads.length > 0) {
    const more = await tx.loadAttendance({ records: sessionLeads, sessions: [], webinars: [] });
    for (const record of more.records.values())
      if (!state.records.has(`${record.lead_id}\u0000${record.webinar_id}`)) state.load(record);
  }
  const derived: DerivedEvent[] = [];
  for (const event of events) derived.push(...evolveAttendance(state, event, now));
  await tx.saveAttendance(state);
  await tx.setCheckpoint(CLASSIFIER, last);
  // The append last: on PostgreSQL it takes the log lock, which every writer of the log waits for; held from here
  // to the commit only, not over the writes above.
  const appended = await appendAsFresh(tx, derived, now);
  return { scanned: last - after, derived, ...(appended && { appended }) };
}

/**
 * Runs a processor's steps (`pending` over at most PROCESSOR_BATCH events, a transaction each) until it has caught
 * up with the log, or `signal` aborts. With `recent`, a step takes what this process committed from there, and
 * what it appends is added once committed.
 */
export async function drainSteps(
  store: EventStore,
  purpose: 'classifier' | 'router',
  pending: typeof classifyPending,
  clock: Clock,
  signal: AbortSignal | undefined,
  recent: RecentLog | undefined,
): Promise<DerivedEvent[]> {
  const all: DerivedEvent[] = [];
  while (signal?.aborted !== true) {
    const result = await store.transaction(purpose, (tx) =>
      pending(tx, PROCESSOR_BATCH, clock(), undefined, recent),
    );
    if (result.appended !== undefined) recent?.add(result.appended.events);
    all.push(...result.derived);
    if (result.scanned === 0) break;
  }
  return all;
}

/** Classifier steps until caught up (drainSteps). */
export function drainClassifier(
  store: EventStore,
  clock: Clock = systemClock,
  signal?: AbortSignal,
  recent?: RecentLog,
): Promise<DerivedEvent[]> {
  return drainSteps(store, 'classifier', classifyPending, clock, signal, recent);
}

export interface EvaluationInput {
  readonly webinarId: string;
  readonly requester: string;
  /** Given when replaying a recorded evaluation. */
  readonly id?: string;
  readonly requestedAt?: string;
}

/**
 * An explicit evaluation (SPEC §4): in one transaction, the classifier catches up with the log, the request is
 * recorded beside it, and `attended=false` is appended for every lead with an entry, no completion and no
 * verdict. Returns only what this call classified.
 */
export async function evaluateAttendance(
  store: EventStore,
  input: EvaluationInput,
  clock: Clock = systemClock,
): Promise<DerivedEvent[]> {
  await drainClassifier(store, clock);
  return store.transaction('evaluation', async (tx) => {
    const now = clock();
    while ((await classifyPending(tx, PROCESSOR_BATCH, now)).scanned > 0);
    const evaluation = {
      id: input.id ?? randomUUID(),
      webinar_id: input.webinarId,
      requested_at: input.requestedAt ?? now,
      requester: input.requester,
      at_position: await tx.head(),
    };
    await tx.recordEvaluation(evaluation);
    const records = await tx.awaitingEvaluation(input.webinarId);
    const state = new AttendanceState();
    for (const record of records) state.load(record);
    const derived = evaluateWebinar(state, records, evaluation, now);
    if (derived.length > 0) await tx.appendDerived(derived, now);
    await tx.saveAttendance(state);
    return derived;
  });
}
