import type { EventType, LogEvent } from '../contract/index.js';

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
