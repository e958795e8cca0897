/** The slice of the intake state a batch's rules read, one query per table, keys passed as arrays. */
export const loadStoredEvents = `SELECT e.source, e.id, e.content_hash, e.position,
    CASE WHEN e.content_hash IS NULL THEN e.envelope END AS envelope
  FROM unnest($1::text[], $2::text[]) AS k(source, id)
  JOIN events e ON e.source = k.source AND e.id = k.id`;
export const loadRegistrations = `SELECT r.lead_id, r.webinar_id
  FROM unnest($1::text[], $2::text[]) AS k(lead_id, webinar_id)
  JOIN intake_registrations r ON r.lead_id = k.lead_id AND r.webinar_id = k.webinar_id`;
export const loadEntries = `SELECT r.lead_id, r.webinar_id
  FROM unnest($1::text[], $2::text[]) AS k(lead_id, webinar_id)
  JOIN intake_entries r ON r.lead_id = k.lead_id AND r.webinar_id = k.webinar_id`;
export const loadWebinarTypes =
  'SELECT webinar_id, webinar_type FROM intake_webinars WHERE webinar_id = ANY($1::text[])';
export const loadSessions = `SELECT session_id, webinar_id, lead_id, entered, left_, completed
  FROM intake_sessions WHERE session_id = ANY($1::text[])`;
export const loadForms = `SELECT f.lead_id, f.webinar_id, f.form_id
  FROM unnest($1::text[], $2::text[], $3::text[]) AS k(lead_id, webinar_id, form_id)
  JOIN intake_forms f ON f.lead_id = k.lead_id AND f.webinar_id = k.webinar_id AND f.form_id = k.form_id`;
