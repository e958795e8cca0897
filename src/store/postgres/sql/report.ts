/** The attendance report of one webinar: totals count leads; leads page in lead_id order. */
export const reportTotals = `SELECT
    count(*) FILTER (WHERE registered) AS registered,
    count(*) FILTER (WHERE entries > 0) AS entered,
    count(*) FILTER (WHERE completions > 0) AS completed,
    count(*) FILTER (WHERE verdict) AS attended,
    count(*) FILTER (WHERE NOT verdict) AS not_attended,
    count(*) FILTER (WHERE verdict IS NULL) AS unclassified,
    coalesce((SELECT anonymous_entries FROM attendance_webinars WHERE webinar_id = $1), 0) AS anonymous_entries
  FROM attendance WHERE webinar_id = $1`;
export const reportLeads = `SELECT webinar_id, lead_id, registered, entries, lefts, completions, forms, verdict,
    classified_at, route_status
  FROM attendance WHERE webinar_id = $1 AND lead_id > $2 ORDER BY lead_id LIMIT $3`;
