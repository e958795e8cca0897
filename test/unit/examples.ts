/** Valid examples of the contract (SPEC §1–2), shared by the unit tests. Not a test file itself. */
import type { ClientEventType } from '../../src/contract/index.js';

export const T0 = '2026-11-26T10:00:00Z';

export const VALID_PAYLOADS: { readonly [T in ClientEventType]: Record<string, unknown> } = {
  client_webinar_registered: {
    lead_id: 'L-1',
    webinar_id: 'W-9',
    webinar_type: 'live',
    slot_id: 'slot-1',
    registered_at: '2026-11-20T09:00:00+03:00',
    source: 'landing/autumn',
  },
  client_webinar_entered: { lead_id: 'L-1', webinar_id: 'W-9', timestamp: T0 },
  client_webinar_left: {
    lead_id: 'L-1',
    webinar_id: 'W-9',
    webinar_type: 'live',
    session_id: 's-42',
    left_at: '2026-11-26T11:00:00Z',
    leave_reason: 'user_exit',
  },
  client_webinar_completed: {
    lead_id: 'L-1',
    webinar_id: 'W-9',
    webinar_type: 'live',
    session_id: 's-42',
    completed_at: '2026-11-26T11:30:00Z',
  },
  client_webinar_form_submitted: {
    lead_id: 'L-1',
    webinar_id: 'W-9',
    webinar_type: 'live',
    session_id: 's-42',
    submitted_at: '2026-11-26T11:35:00Z',
    form_id: 'feedback',
    form_payload: { rating: 5, comments: ['great'], nested: { ok: true } },
  },
};

/** A copy of the valid payload of `type`, with `changes` applied (`undefined` removes a field). */
export function payload(
  type: ClientEventType,
  changes: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...VALID_PAYLOADS[type] };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

let counter = 0;

/** A structured-mode CloudEvent around `data`; `extra` adds or (with `undefined`) removes attributes. */
export function cloudEvent(
  type: string,
  data: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: `e-${++counter}`,
    source: '/webinar-room',
    type,
    time: T0,
    data,
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete event[key];
    else event[key] = value;
  }
  return event;
}

/** The valid event of `type` (the entry carries `sessionid` s-42, like SPEC §2's example). */
export function validEvent(
  type: ClientEventType,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const sessionExtra = type === 'client_webinar_entered' ? { sessionid: 's-42' } : {};
  return cloudEvent(type, payload(type), { ...sessionExtra, ...extra });
}
