/**
 * The `events` rows of the raw-append baselines, built before any timing: the columns the store adapters write
 * for an accepted client event (`appendClientEvents` in src/store/sqlite/sqlite-tx.ts and
 * src/store/postgres/postgres-tx.ts), with the warnings the pipeline would give them (and, as they write it, no
 * content hash).
 */
import { DryRunIntake } from '../src/intake/dry-run.js';
import { judgeEvent } from '../src/intake/envelope.js';
import type { FormsCatalog } from '../src/intake/forms-catalog.js';
import { clientEventRow, type ClientEventRow } from '../src/store/log-rows.js';

/** position, source, id, type, lead_id, webinar_id, session_id, content_hash, causationid, envelope, warnings. */
export type EventRow = ClientEventRow;

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
    rows.push(clientEventRow({ position: ++position, event, facts: {}, warnings: verdict.warnings }));
  }
  return rows;
}
