import { CLASSIFIED, CLASSIFIER_SOURCE, type DerivedEvent, type LogEvent } from '../contract/index.js';
import { uuidv5 } from '../contract/derived-ids.js';
import type { AttendanceRecord, AttendanceState } from './state.js';

/** Each lead × webinar is classified `false` at most once and `true` at most once, so this id is unique. */
export function classificationId(lead: string, webinar: string, attended: boolean): string {
  return uuidv5(JSON.stringify([CLASSIFIED, lead, webinar, attended]));
}

export function classificationEvent(
  record: AttendanceRecord,
  attended: boolean,
  now: string,
  causationid: string,
): DerivedEvent {
  return {
    specversion: '1.0',
    id: classificationId(record.lead_id, record.webinar_id, attended),
    source: CLASSIFIER_SOURCE,
    type: CLASSIFIED,
    time: now,
    causationid,
    data: { lead_id: record.lead_id, webinar_id: record.webinar_id, attended, timestamp: now },
  };
}

/** The keys of state one log event touches, so a store can prefetch them. */
export function attendanceKeysOf(event: LogEvent): {
  lead?: string;
  webinar?: string;
  session?: string;
} {
  const data = event.data as { lead_id?: string; webinar_id?: string; session_id?: string };
  return { lead: data.lead_id, webinar: data.webinar_id, session: data.session_id ?? event.sessionid };
}

/** Gives the anonymous entries pending in a session to the lead now known for it. */
function attribute(state: AttendanceState, sessionId: string, webinar: string, lead: string): void {
  const session = state.session(sessionId, webinar);
  if (session.lead_id === null) session.lead_id = lead;
  if (session.pending_entries > 0) {
    state.record(lead, webinar).entries += session.pending_entries;
    state.webinar(webinar).anonymous_entries -= session.pending_entries;
    session.pending_entries = 0;
  }
}

/**
 * The attendance classifier (SPEC §4) over one log event, in log order. Updates `state` and returns the
 * classifications this event causes: the first completion of a lead × webinar (or a completion after a
 * `false`) gives `attended=true` at once. No IO; `now` is the classification time.
 */
export function evolveAttendance(state: AttendanceState, event: LogEvent, now: string): DerivedEvent[] {
  const data = event.data as { lead_id?: string; webinar_id: string; session_id?: string };
  const webinar = data.webinar_id;
  switch (event.type) {
    case 'client_webinar_registered':
      state.record(data.lead_id!, webinar).registered = true;
      return [];
    case 'client_webinar_entered': {
      const lead = data.lead_id;
      const sessionId = event.sessionid;
      if (lead !== undefined) {
        state.record(lead, webinar).entries += 1;
        if (sessionId !== undefined) attribute(state, sessionId, webinar, lead);
      } else if (sessionId !== undefined && state.session(sessionId, webinar).lead_id !== null) {
        state.record(state.session(sessionId, webinar).lead_id!, webinar).entries += 1;
      } else {
        if (sessionId !== undefined) state.session(sessionId, webinar).pending_entries += 1;
        state.webinar(webinar).anonymous_entries += 1;
      }
      return [];
    }
    case 'client_webinar_left':
    case 'client_webinar_completed':
    case 'client_webinar_form_submitted': {
      const lead = data.lead_id!;
      attribute(state, data.session_id!, webinar, lead);
      const record = state.record(lead, webinar);
      if (event.type === 'client_webinar_left') record.lefts += 1;
      else if (event.type === 'client_webinar_form_submitted') record.forms += 1;
      else {
        record.completions += 1;
        if (record.verdict !== true) {
          record.verdict = true;
          record.classified_at = now;
          return [classificationEvent(record, true, now, event.id)];
        }
      }
      return [];
    }
    default:
      return [];
  }
}

export interface EvaluationRequest {
  readonly id: string;
  readonly webinar_id: string;
}

/** Which records an explicit evaluation classifies: an entry, no completion, no verdict yet. */
export function isAwaitingEvaluation(record: AttendanceRecord): boolean {
  return record.entries > 0 && record.completions === 0 && record.verdict === null;
}

/**
 * An explicit evaluation of a webinar: `attended=false` for every lead with an entry, no completion and no
 * classification yet, in lead order. Evaluating again finds nothing new. Marks the records classified.
 */
export function evaluateWebinar(
  state: AttendanceState,
  records: readonly AttendanceRecord[],
  evaluation: EvaluationRequest,
  now: string,
): DerivedEvent[] {
  const due = records
    .filter((r) => r.webinar_id === evaluation.webinar_id && isAwaitingEvaluation(r))
    .sort((a, b) => (a.lead_id < b.lead_id ? -1 : a.lead_id > b.lead_id ? 1 : 0));
  return due.map((record) => {
    const marked = state.record(record.lead_id, record.webinar_id);
    marked.verdict = false;
    marked.classified_at = now;
    return classificationEvent(marked, false, now, evaluation.id);
  });
}
