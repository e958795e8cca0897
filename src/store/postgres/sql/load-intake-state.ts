/**
 * The slice of the intake state a batch's rules read, one query per table, keys passed as arrays.
 *
 * Each key is looked up on its own through the table's unique index: `CROSS JOIN LATERAL (… LIMIT 1)` keeps the
 * planner from turning the lookup into a hash join over the whole table (what it chose for a plain join of
 * `unnest` with tables of tens of thousands of rows: a sequential scan on every batch, a cost that grows with the
 * store). Every key names at most one row (a primary or unique key), so `LIMIT 1` drops nothing.
 */
export const loadStoredEvents = `SELECT e.source, e.id, e.content_hash, e.position, e.envelope
  FROM unnest($1::text[], $2::text[]) AS k(source, id)
  CROSS JOIN LATERAL (SELECT e.source, e.id, e.content_hash, e.position,
      CASE WHEN e.content_hash IS NULL THEN e.envelope END AS envelope
    FROM events e WHERE e.source = k.source AND e.id = k.id LIMIT 1) e`;
export const loadRegistrations = `SELECT r.lead_id, r.webinar_id
  FROM unnest($1::text[], $2::text[]) AS k(lead_id, webinar_id)
  CROSS JOIN LATERAL (SELECT r.lead_id, r.webinar_id FROM intake_registrations r
    WHERE r.lead_id = k.lead_id AND r.webinar_id = k.webinar_id LIMIT 1) r`;
export const loadEntries = `SELECT r.lead_id, r.webinar_id
  FROM unnest($1::text[], $2::text[]) AS k(lead_id, webinar_id)
  CROSS JOIN LATERAL (SELECT r.lead_id, r.webinar_id FROM intake_entries r
    WHERE r.lead_id = k.lead_id AND r.webinar_id = k.webinar_id LIMIT 1) r`;
export const loadWebinarTypes = `SELECT w.webinar_id, w.webinar_type FROM unnest($1::text[]) AS k(webinar_id)
  CROSS JOIN LATERAL (SELECT w.webinar_id, w.webinar_type FROM intake_webinars w
    WHERE w.webinar_id = k.webinar_id LIMIT 1) w`;
export const loadSessions = `SELECT s.session_id, s.webinar_id, s.lead_id, s.entered, s.left_, s.completed
  FROM unnest($1::text[]) AS k(session_id)
  CROSS JOIN LATERAL (SELECT s.session_id, s.webinar_id, s.lead_id, s.entered, s.left_, s.completed
    FROM intake_sessions s WHERE s.session_id = k.session_id LIMIT 1) s`;
export const loadForms = `SELECT f.lead_id, f.webinar_id, f.form_id
  FROM unnest($1::text[], $2::text[], $3::text[]) AS k(lead_id, webinar_id, form_id)
  CROSS JOIN LATERAL (SELECT f.lead_id, f.webinar_id, f.form_id FROM intake_forms f
    WHERE f.lead_id = k.lead_id AND f.webinar_id = k.webinar_id AND f.form_id = k.form_id LIMIT 1) f`;
