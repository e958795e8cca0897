/** The counts of leads of a report's totals and of the list of webinars, over rows of `attendance`. */
const leadCounts = `count(*) FILTER (WHERE registered) AS registered,
    count(*) FILTER (WHERE entries > 0) AS entered,
    count(*) FILTER (WHERE completions > 0) AS completed,
    count(*) FILTER (WHERE verdict) AS attended,
    count(*) FILTER (WHERE NOT verdict) AS not_attended,
    count(*) FILTER (WHERE verdict IS NULL) AS unclassified`;

/** The attendance report of one webinar: totals count leads; leads page in lead_id order. */
export const reportTotals = `SELECT ${leadCounts},
    coalesce((SELECT anonymous_entries FROM attendance_webinars WHERE webinar_id = $1), 0) AS anonymous_entries
  FROM attendance WHERE webinar_id = $1`;
/** Events of one webinar carrying each warning code (the partial index events_warned holds only such events). */
export const reportWarnings = `SELECT j ->> 'code' AS code, count(DISTINCT e.position)::int AS events
  FROM events e CROSS JOIN LATERAL json_array_elements(e.warnings::json) j
  WHERE e.webinar_id = $1 AND e.warnings IS NOT NULL GROUP BY 1`;
/** The same, per lead, for the leads of one report page. */
export const reportLeadWarnings = `SELECT e.lead_id, j ->> 'code' AS code, count(DISTINCT e.position)::int AS events
  FROM events e CROSS JOIN LATERAL json_array_elements(e.warnings::json) j
  WHERE e.webinar_id = $1 AND e.warnings IS NOT NULL AND e.lead_id = ANY($2::text[]) GROUP BY 1, 2`;
export const reportLeads = `SELECT webinar_id, lead_id, registered, entries, lefts, completions, forms, verdict,
    classified_at, route_status
  FROM attendance WHERE webinar_id = $1 AND lead_id > $2 ORDER BY lead_id LIMIT $3`;
/** The webinars with leads, their totals as in the report; a page in webinar_id order. */
export const webinars = `SELECT webinar_id, ${leadCounts},
    count(*) FILTER (WHERE entries > 0 AND completions = 0 AND verdict IS NULL) AS awaiting_evaluation
  FROM attendance WHERE webinar_id > $1 GROUP BY webinar_id ORDER BY webinar_id LIMIT $2`;
