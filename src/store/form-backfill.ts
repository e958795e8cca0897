import type { ClientEventType } from '../contract/index.js';

/**
 * The backfill of schema 5 (SQLite) / 4 (PostgreSQL): the first submissions of re-submittable forms, which older
 * versions did not record in `intake_forms`, found again in the log. Each stored envelope is read with
 * `JSON.parse`, the parser the intake judged it with, so duplicate keys resolve as they did then (the last wins)
 * and any text the intake accepted (a lone surrogate escape, `\u0000`) reads; the databases' own JSON functions
 * differ on both. Pure: the adapters read the rows and write the keys.
 */
export const FORM_SUBMITTED: ClientEventType = 'client_webinar_form_submitted';

/** Rows read per round, in position order. */
export const FORM_BACKFILL_PAGE = 5000;

export type FormKey = readonly [lead_id: string, webinar_id: string, form_id: string];

/** The (lead, webinar, form) of a stored form submission, or null if its envelope does not name them all. */
export function formKeyOf(envelope: string): FormKey | null {
  let event: unknown;
  try {
    event = JSON.parse(envelope);
  } catch {
    return null;
  }
  const data = (event as { data?: Record<string, unknown> } | null)?.data;
  if (data === null || typeof data !== 'object') return null;
  const { lead_id, webinar_id, form_id } = data;
  return typeof lead_id === 'string' && typeof webinar_id === 'string' && typeof form_id === 'string'
    ? [lead_id, webinar_id, form_id]
    : null;
}
