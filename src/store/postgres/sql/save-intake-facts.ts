/** What accepted events add to the intake state, one multi-row statement per table. */
export const insertRegistrations = `INSERT INTO intake_registrations (lead_id, webinar_id)
  SELECT * FROM unnest($1::text[], $2::text[])`;
export const insertEntries = `INSERT INTO intake_entries (lead_id, webinar_id)
  SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`;
export const insertWebinarTypes = `INSERT INTO intake_webinars (webinar_id, webinar_type)
  SELECT * FROM unnest($1::text[], $2::text[])`;
/** One row per session (the caller keeps the last binding of each): ON CONFLICT cannot update a row twice. */
export const upsertSessions = `INSERT INTO intake_sessions (session_id, webinar_id, lead_id, entered, left_, completed)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::boolean[], $6::boolean[])
  ON CONFLICT (session_id) DO UPDATE SET lead_id = excluded.lead_id, entered = excluded.entered,
    left_ = excluded.left_, completed = excluded.completed`;
export const insertForms = `INSERT INTO intake_forms (lead_id, webinar_id, form_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`;
