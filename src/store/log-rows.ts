import type { DerivedEvent, EventType, LogEvent, Warning } from '../contract/index.js';
import type { PlannedAppend, StoredEventRef } from '../intake/index.js';
import type { FeedEvent } from './port.js';

/** A log row as both adapters read it for the processors. */
export interface LogRow {
  readonly position: number;
  readonly source: string;
  readonly id: string;
  readonly type: EventType;
  readonly envelope: string;
}

/** The processors' view of a stored event: its payload and `sessionid` from the stored envelope. */
export function logEventFromRow(row: LogRow): LogEvent {
  const envelope = JSON.parse(row.envelope) as { data: Record<string, unknown>; sessionid?: unknown };
  return {
    position: row.position,
    source: row.source,
    id: row.id,
    type: row.type,
    data: envelope.data,
    sessionid: typeof envelope.sessionid === 'string' ? envelope.sessionid : undefined,
  };
}

/**
 * The columns of an accepted client event's row, in the order both adapters insert them: position, source, id,
 * type, lead_id, webinar_id, session_id, content_hash, causationid, envelope, warnings.
 */
export type ClientEventRow = [
  number,
  string,
  string,
  string,
  string | null,
  string,
  string | null,
  null,
  null,
  string,
  string | null,
];

/**
 * `content_hash` stays null: the rules work out a hash only when an id comes again, from the stored envelope (rows
 * written by earlier versions keep theirs, and it is used). The envelope is the event's own JSON text when the
 * input had one (an NDJSON line, a single-event body), else its value serialized: either way the same JSON value,
 * and every reader parses it.
 */
export function clientEventRow({ position, event, warnings, text }: PlannedAppend): ClientEventRow {
  const data = event.data as { lead_id?: string; webinar_id: string; session_id?: string };
  return [
    position,
    event.source,
    event.id,
    event.type,
    data.lead_id ?? null,
    data.webinar_id,
    data.session_id ?? event.sessionid ?? null,
    null,
    null,
    text ?? JSON.stringify(event.envelope),
    warnings.length > 0 ? JSON.stringify(warnings) : null,
  ];
}

/**
 * The same columns for a derived event (classification or route): no session, no content hash, its cause. Its
 * lead and webinar key its uniqueness in SQLite (schema 6), where a unique index lets NULLs repeat: a derived
 * event without them is a defect of the service, refused here before it reaches either store.
 */
export function derivedEventRow(event: DerivedEvent, position: number): unknown[] {
  const data = event.data as { lead_id: unknown; webinar_id: unknown };
  if (typeof data.lead_id !== 'string' || typeof data.webinar_id !== 'string') {
    throw new Error(`derived event ${event.id} has no lead_id or webinar_id: not stored`);
  }
  return [
    position,
    event.source,
    event.id,
    event.type,
    data.lead_id,
    data.webinar_id,
    null,
    null,
    event.causationid,
    JSON.stringify(event),
    null,
  ];
}

/** A log row as both adapters read it for the feed and the timeline. */
export interface FeedRow {
  position: number;
  envelope: string;
  warnings: string | null;
  recorded_at: string;
}

/** The stored envelope as submitted, plus the attributes the service adds. */
export function feedEventFromRow(row: FeedRow): FeedEvent {
  const event = JSON.parse(row.envelope) as Record<string, unknown>;
  event['position'] = row.position;
  event['recordedat'] = row.recorded_at;
  return {
    position: row.position,
    event,
    warnings: row.warnings === null ? null : (JSON.parse(row.warnings) as Warning[]),
  };
}

/** A stored event as the intake rules' duplicate check loads it: the envelope only where no hash was kept. */
export interface StoredEventRow {
  readonly position: number;
  readonly content_hash: string | null;
  readonly envelope: string | null;
}

export function storedEventRef(row: StoredEventRow): StoredEventRef {
  if (row.content_hash !== null) return { hash: row.content_hash, position: row.position };
  if (row.envelope === null) throw new Error(`stored event at position ${row.position} has no envelope`);
  return { envelope: row.envelope, position: row.position };
}
