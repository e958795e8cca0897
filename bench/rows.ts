/**
 * The `events` rows of the raw-append baselines, built before any timing: the columns the store adapters write
 * for an accepted client event (`appendClientEvents` in src/store/sqlite/sqlite-tx.ts and
 * src/store/postgres/postgres-tx.ts), with the content hash and warnings the pipeline would give them.
 */
import { contentHash } from '../src/intake/content-hash.js';
import { DryRunIntake } from '../src/intake/dry-run.js';
import { judgeEvent } from '../src/intake/envelope.js';
import type { FormsCatalog } from '../src/intake/forms-catalog.js';

/** position, source, id, type, lead_id, webinar_id, session_id, content_hash, causationid, envelope, warnings. */
export type EventRow = [
  number,
  string,
  string,
  string,
  string | null,
  string,
  string | null,
  string,
  null,
  string,
  string | null,
];

export const EVENT_COLUMNS =
  'position, source, id, type, lead_id, webinar_id, session_id, content_hash, causationid, envelope, warnings, recorded_at';

export function buildEventRows(events: readonly Record<string, unknown>[], forms: FormsCatalog): EventRow[] {
  const intake = new DryRunIntake(forms);
  const rows: EventRow[] = [];
  let position = 0;
  for (const value of events) {
    const judged = judgeEvent(value);
    const verdict = intake.judgeValue(value);
    if (!judged.ok || verdict.status !== 'accepted') continue;
    const { event } = judged;
    const data = event.data as { lead_id?: string; webinar_id: string; session_id?: string };
    rows.push([
      ++position,
      event.source,
      event.id,
      event.type,
      data.lead_id ?? null,
      data.webinar_id,
      data.session_id ?? event.sessionid ?? null,
      contentHash(event),
      null,
      JSON.stringify(event.envelope),
      verdict.warnings.length > 0 ? JSON.stringify(verdict.warnings) : null,
    ]);
  }
  return rows;
}
