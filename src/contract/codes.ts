/** Stable error codes (SPEC §3). Each has a test that produces it. */
export const ERROR_CODES = {
  MALFORMED_JSON: 'The body or an NDJSON line is not JSON.',
  INVALID_ENVELOPE:
    'A CloudEvents attribute is missing or wrong (or the event as a whole is not acceptable).',
  UNKNOWN_EVENT: '`type` is not a canonical client webinar event.',
  RESERVED_EVENT:
    '`type` is an event only the service emits (attendance classification, post-webinar route).',
  MISSING_FIELD: 'A field the contract requires is absent from `data`.',
  UNKNOWN_FIELD: '`data` has a field the contract does not define.',
  INVALID_FIELD: 'A field of `data` has the wrong type, length, format or value.',
  ID_CONFLICT: 'The same `source` + `id` was already stored with different content.',
  ALREADY_REGISTERED: 'A second registration (another id) for the same `lead_id` + `webinar_id`.',
  REPEATED_IN_SESSION: 'A second `entered` (same `sessionid`), `left` or `completed` (same `session_id`).',
  FORM_ALREADY_SUBMITTED:
    'A second submission of a `form_id` by a lead for a webinar, when the form does not allow re-submission.',
  WEBINAR_TYPE_MISMATCH: '`webinar_type` differs from the type already recorded for that `webinar_id`.',
  SESSION_MISMATCH: 'A `session_id` / `sessionid` already bound to another lead or webinar.',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** Warnings: the event is accepted; the fact arrived out of the usual order or lacks context. */
export const WARNING_CODES = {
  NO_PRIOR_REGISTRATION: 'No registration of that lead for that webinar has been stored yet.',
  NO_PRIOR_ENTRY: 'A left / completed / form_submitted whose session and lead × webinar have no entry yet.',
  ANONYMOUS_ENTRY:
    'An entry without `lead_id`; it is attributed to a lead through its `sessionid` once an event of that session names one (at once if one already did), if ever.',
} as const;
export type WarningCode = keyof typeof WARNING_CODES;

/** Codes decided by the envelope and the payload contract alone (HTTP 422; `MALFORMED_JSON` 400). */
export const CONTRACT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'MALFORMED_JSON',
  'INVALID_ENVELOPE',
  'UNKNOWN_EVENT',
  'RESERVED_EVENT',
  'MISSING_FIELD',
  'UNKNOWN_FIELD',
  'INVALID_FIELD',
]);

export interface Issue {
  readonly code: ErrorCode;
  /** JSON pointer (RFC 6901) into the submitted event; "" is the event itself. */
  readonly path: string;
  readonly message: string;
}

export interface Warning {
  readonly code: WarningCode;
  readonly path: string;
  readonly message: string;
}
