/** Rejected inputs, kept raw, numbered in submission order. */
export const insertRejections = `INSERT INTO rejections (received_at, origin, event_id, raw, raw_encoding, errors)
  SELECT $1, $2, u.event_id, u.raw, u.raw_encoding, u.errors
  FROM unnest($3::bytea[], $4::bytea[], $5::text[], $6::text[]) WITH ORDINALITY
    AS u(event_id, raw, raw_encoding, errors, n)
  ORDER BY u.n`;
export const readRejections = `SELECT seq, received_at, origin, event_id, raw, raw_encoding, errors
  FROM rejections WHERE seq > $1 ORDER BY seq LIMIT $2`;
