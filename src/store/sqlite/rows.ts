import type { AttendanceRecord } from '../../attendance/index.js';

export interface AttendanceRow {
  webinar_id: string;
  lead_id: string;
  registered: number;
  entries: number;
  lefts: number;
  completions: number;
  forms: number;
  verdict: number | null;
  classified_at: string | null;
  route_status: string | null;
}

export function attendanceRecordFromRow(row: AttendanceRow): AttendanceRecord {
  return {
    lead_id: row.lead_id,
    webinar_id: row.webinar_id,
    registered: row.registered === 1,
    entries: row.entries,
    lefts: row.lefts,
    completions: row.completions,
    forms: row.forms,
    verdict: row.verdict === null ? null : row.verdict === 1,
    classified_at: row.classified_at,
  };
}
