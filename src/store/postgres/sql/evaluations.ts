/** Explicit evaluation requests, recorded beside the log for replay. */
export const insertEvaluation = `INSERT INTO evaluations (id, webinar_id, requested_at, requester, at_position)
  VALUES ($1, $2, $3, $4, $5)`;
export const readEvaluations = `SELECT id, webinar_id, requested_at, requester, at_position FROM evaluations
  WHERE $1::text IS NULL OR webinar_id = $1 ORDER BY seq`;
