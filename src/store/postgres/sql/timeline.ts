/**
 * A lead's events, and the anonymous entries attributed to it through their session, in log order. The two parts
 * are disjoint (`lead_id = $1` / `lead_id IS NULL`, one session per event), so UNION ALL equals SQLite's UNION.
 */
export const timeline = `SELECT position, envelope, warnings, recorded_at FROM events
    WHERE lead_id = $1 AND ($2::text IS NULL OR webinar_id = $2::text)
  UNION ALL
  SELECT e.position, e.envelope, e.warnings, e.recorded_at FROM attendance_sessions s
    JOIN events e ON e.session_id = s.session_id AND e.lead_id IS NULL
    WHERE s.lead_id = $1 AND ($2::text IS NULL OR s.webinar_id = $2::text)
  ORDER BY position`;
