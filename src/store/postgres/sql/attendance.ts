/** The classifier's state: lead × webinar records, sessions (for anonymous entries), webinars. */
const RECORD_COLUMNS = `webinar_id, lead_id, registered, entries, lefts, completions, forms, verdict,
  classified_at, route_status`;
/** Per-key index lookups, as the intake state's (load-intake-state.ts says why). */
export const loadAttendance = `SELECT a.webinar_id, a.lead_id, a.registered, a.entries, a.lefts, a.completions,
    a.forms, a.verdict, a.classified_at, a.route_status
  FROM unnest($1::text[], $2::text[]) AS k(lead_id, webinar_id)
  CROSS JOIN LATERAL (SELECT ${RECORD_COLUMNS} FROM attendance a
    WHERE a.webinar_id = k.webinar_id AND a.lead_id = k.lead_id LIMIT 1) a`;
export const loadAttendanceSessions = `SELECT s.session_id, s.webinar_id, s.lead_id, s.pending_entries
  FROM unnest($1::text[]) AS k(session_id)
  CROSS JOIN LATERAL (SELECT s.session_id, s.webinar_id, s.lead_id, s.pending_entries FROM attendance_sessions s
    WHERE s.session_id = k.session_id LIMIT 1) s`;
export const loadAttendanceWebinars = `SELECT w.webinar_id, w.anonymous_entries
  FROM unnest($1::text[]) AS k(webinar_id)
  CROSS JOIN LATERAL (SELECT w.webinar_id, w.anonymous_entries FROM attendance_webinars w
    WHERE w.webinar_id = k.webinar_id LIMIT 1) w`;
export const awaitingEvaluation = `SELECT ${RECORD_COLUMNS} FROM attendance
  WHERE webinar_id = $1 AND entries > 0 AND completions = 0 AND verdict IS NULL ORDER BY lead_id`;
/** One row per key (the caller keeps the last state of each); `route_status` is the router's and kept. */
export const upsertAttendance = `INSERT INTO attendance (webinar_id, lead_id, registered, entries, lefts,
    completions, forms, verdict, classified_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::int[], $5::int[], $6::int[], $7::int[],
    $8::boolean[], $9::text[])
  ON CONFLICT (webinar_id, lead_id) DO UPDATE SET registered = excluded.registered, entries = excluded.entries,
    lefts = excluded.lefts, completions = excluded.completions, forms = excluded.forms,
    verdict = excluded.verdict, classified_at = excluded.classified_at`;
export const upsertAttendanceSessions = `INSERT INTO attendance_sessions (session_id, webinar_id, lead_id,
    pending_entries)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
  ON CONFLICT (session_id) DO UPDATE SET lead_id = excluded.lead_id, pending_entries = excluded.pending_entries`;
export const upsertAttendanceWebinars = `INSERT INTO attendance_webinars (webinar_id, anonymous_entries)
  SELECT * FROM unnest($1::text[], $2::int[])
  ON CONFLICT (webinar_id) DO UPDATE SET anonymous_entries = excluded.anonymous_entries`;
/**
 * One row per key (the caller keeps the last route of each). An upsert of rows that all exist, so that each key is
 * an index probe: `UPDATE … FROM unnest(…)` was planned as a hash join over the whole table. Only keys with a row
 * make a candidate (the lateral lookup), so nothing is inserted; the conflict then sets `route_status` alone on
 * the row's latest version, leaving the classifier's columns as they are.
 */
export const recordRoutes = `INSERT INTO attendance (webinar_id, lead_id, registered, entries, lefts, completions,
    forms, verdict, classified_at, route_status)
  SELECT a.webinar_id, a.lead_id, a.registered, a.entries, a.lefts, a.completions, a.forms, a.verdict,
    a.classified_at, u.status
  FROM unnest($1::text[], $2::text[], $3::text[]) AS u(status, webinar_id, lead_id)
  CROSS JOIN LATERAL (SELECT ${RECORD_COLUMNS} FROM attendance a
    WHERE a.webinar_id = u.webinar_id AND a.lead_id = u.lead_id LIMIT 1) a
  ON CONFLICT (webinar_id, lead_id) DO UPDATE SET route_status = excluded.route_status`;
