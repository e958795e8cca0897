import type { AttendanceRecord } from '../../attendance/index.js';
import type { RejectionRecord, ReportLead } from '../port.js';

/** Rows as the pool returns them: BIGINT parsed to number (see `pool.ts`), BOOLEAN to boolean, BYTEA to Buffer. */
export interface AttendanceRow {
  webinar_id: string;
  lead_id: string;
  registered: boolean;
  entries: number;
  lefts: number;
  completions: number;
  forms: number;
  verdict: boolean | null;
  classified_at: string | null;
  route_status: string | null;
}

export interface RejectionRow {
  seq: number;
  received_at: string;
  origin: string;
  event_id: Buffer | null;
  raw: Buffer;
  raw_encoding: 'utf8' | 'base64';
  errors: string;
}

export function attendanceRecordFromRow(row: AttendanceRow): AttendanceRecord {
  return {
    lead_id: row.lead_id,
    webinar_id: row.webinar_id,
    registered: row.registered,
    entries: row.entries,
    lefts: row.lefts,
    completions: row.completions,
    forms: row.forms,
    verdict: row.verdict,
    classified_at: row.classified_at,
  };
}

export function reportLeadFromRow(row: AttendanceRow): Omit<ReportLead, 'warnings'> {
  return {
    lead_id: row.lead_id,
    registered: row.registered,
    entries: row.entries,
    lefts: row.lefts,
    completions: row.completions,
    forms: row.forms,
    attended: row.verdict,
    classified_at: row.classified_at,
    route: row.route_status as ReportLead['route'],
  };
}

export function rejectionFromRow(row: RejectionRow): RejectionRecord {
  return {
    seq: row.seq,
    received_at: row.received_at,
    origin: row.origin,
    id: row.event_id === null ? null : row.event_id.toString('utf8'),
    raw: row.raw.toString('utf8'),
    raw_encoding: row.raw_encoding,
    errors: JSON.parse(row.errors) as unknown[],
  };
}
