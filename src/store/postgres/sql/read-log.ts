/** The log in position order: for the processors (`scan*`) and for consumers (`feed*`). */
export const scanLog = `SELECT position, source, id, type, envelope FROM events WHERE position > $1
  ORDER BY position LIMIT $2`;
export const scanLogOfType = `SELECT position, source, id, type, envelope FROM events
  WHERE type = $1 AND position > $2 ORDER BY position LIMIT $3`;
/** The log's keys only, for a processor checking the events it remembers (pipeline/recent-log.ts). */
export const logKeys = `SELECT position, source, id FROM events WHERE position > $1 ORDER BY position LIMIT $2`;
/** The log as stored, for `replay`. */
export const storedLog = `SELECT position, causationid IS NOT NULL AS derived, envelope, warnings FROM events
  WHERE position > $1 ORDER BY position LIMIT $2`;
export const feed = `SELECT position, envelope, warnings, recorded_at FROM events WHERE position > $1
  ORDER BY position LIMIT $2`;
export const feedOfType = `SELECT position, envelope, warnings, recorded_at FROM events
  WHERE type = $1 AND position > $2 ORDER BY position LIMIT $3`;
