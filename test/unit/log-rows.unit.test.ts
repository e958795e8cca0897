import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLASSIFIED, type DerivedEvent } from '../../src/contract/index.js';
import { derivedEventRow } from '../../src/store/log-rows.js';

const classification = (data: Record<string, unknown>): DerivedEvent => ({
  specversion: '1.0',
  id: 'c-1',
  source: 'webinar-events/attendance-classifier',
  type: CLASSIFIED,
  time: '2026-11-26T10:00:00Z',
  causationid: 'e-1',
  data: data as DerivedEvent['data'],
});

describe('derivedEventRow', () => {
  it('keeps lead and webinar in their columns, the cause, and the envelope', () => {
    const event = classification({
      lead_id: 'L-1',
      webinar_id: 'W-1',
      attended: true,
      timestamp: '2026-11-26T10:00:00Z',
    });
    const row = derivedEventRow(event, 7);
    assert.deepEqual(row.slice(0, 9), [7, event.source, 'c-1', CLASSIFIED, 'L-1', 'W-1', null, null, 'e-1']);
    assert.deepEqual(JSON.parse(row[9] as string), event);
  });

  // SQLite keys derived uniqueness by (webinar_id, lead_id, id), and a unique index lets NULLs repeat.
  it('refuses a derived event without lead_id or webinar_id: the index could not hold it unique', () => {
    for (const data of [
      { webinar_id: 'W-1', attended: true },
      { lead_id: 'L-1', attended: true },
      { lead_id: null, webinar_id: 'W-1', attended: true },
      { lead_id: 'L-1', webinar_id: 7, attended: true },
    ]) {
      assert.throws(
        () => derivedEventRow(classification(data), 1),
        /derived event c-1 has no lead_id or webinar_id/,
      );
    }
  });
});
