/**
 * Appends events at the positions given: one `COPY` per batch, its rows in this column order (copy.ts writes
 * them). COPY takes about half the server time of `INSERT … SELECT FROM unnest($1::bigint[], …)` for the log's
 * rows, whose envelopes are full of the quotes an array literal must escape (docs/performance.md).
 */
export const copyEvents = `COPY events (position, source, id, type, lead_id, webinar_id, session_id, content_hash,
    causationid, envelope, warnings, recorded_at) FROM STDIN`;
