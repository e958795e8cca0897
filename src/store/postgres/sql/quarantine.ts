/** Rejected inputs, kept raw, numbered in submission order. */
export const insertRejections = `INSERT INTO rejections (received_at, origin, event_id, raw, raw_encoding, errors)
  SELECT $1, $2, u.event_id, u.raw, u.raw_encoding, u.errors
  FROM unnest($3::bytea[], $4::bytea[], $5::text[], $6::text[]) WITH ORDINALITY
    AS u(event_id, raw, raw_encoding, errors, n)
  ORDER BY u.n`;
/**
 * A RejectionFilter over two parameters: the codes (text[], or null for any) and an origin prefix (or null). The
 * errors are TEXT holding the JSON the service wrote (`JSON.stringify` of `{code, path, message}` objects), searched
 * as text for `"code":"<code>"` rather than parsed: a message may hold `\u0000` (a body starting with NUL), which
 * PostgreSQL's JSON functions refuse to unescape. The search is exact for that JSON: a quote inside a string value
 * is escaped, so `"code":"…"` appears only as an error's own code.
 */
function rejectionFilter(codes: number, origin: number): string {
  return `($${codes}::text[] IS NULL OR EXISTS (
      SELECT 1 FROM unnest($${codes}::text[]) c WHERE strpos(errors, '"code":' || to_json(c)::text) > 0))
    AND ($${origin}::text IS NULL OR left(origin, length($${origin}::text)) = $${origin}::text)`;
}

/** A page after $1 (`>`, counted from the oldest) or before it (`<`, from the newest), returned oldest first. */
function rejectionPage(direction: '>' | '<'): string {
  const order = direction === '>' ? 'seq' : 'seq DESC';
  return `SELECT seq, received_at, origin, event_id, raw, raw_encoding, errors
  FROM rejections WHERE seq IN (
    SELECT seq FROM (
      SELECT seq, sum(n) OVER (ORDER BY ${order}) - n AS before FROM (
        SELECT seq, octet_length(raw) AS n FROM rejections WHERE seq ${direction} $1 AND ${rejectionFilter(4, 5)}
        ORDER BY ${order} LIMIT $2) AS page) AS sized
    WHERE before < $3)
  ORDER BY seq`;
}

/**
 * A page of the quarantine: at most $2 rows, and it stops once $3 bytes of raw inputs are in it (the first row is
 * always in it). Sizes come from octet_length, which reads no content, so a page of 1,000 rejected 4 MiB bodies
 * is never loaded to be cut.
 */
export const readRejections = rejectionPage('>');
/** The page before $1, counted (and cut at $3 bytes) from the newest; returned oldest first. */
export const readRejectionsBefore = rejectionPage('<');
export const rejectionsHead = 'SELECT coalesce(max(seq), 0) AS head FROM rejections';
export const rejectionExistsBefore = `SELECT EXISTS (
  SELECT 1 FROM rejections WHERE seq < $1 AND ${rejectionFilter(2, 3)}) AS older`;
