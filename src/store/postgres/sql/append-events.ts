/** Appends events at the positions given, one row per array element: one round trip per batch. */
export const appendEvents = `INSERT INTO events (position, source, id, type, lead_id, webinar_id, session_id,
    content_hash, causationid, envelope, warnings, recorded_at)
  SELECT u.position, u.source, u.id, u.type, u.lead_id, u.webinar_id, u.session_id, u.content_hash,
    u.causationid, u.envelope, u.warnings, $12
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::text[])
    AS u(position, source, id, type, lead_id, webinar_id, session_id, content_hash, causationid, envelope, warnings)`;
