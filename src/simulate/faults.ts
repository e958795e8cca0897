import { FACT_TIME_FIELD, type ClientEventType } from '../contract/index.js';
import { between, pick, type Rng } from './prng.js';
import type { SimulatedEvent, SimulatedLine } from './types.js';

/** What can go wrong between the client and the service; each is deterministic under the seed. */
export const FAULT_KINDS = ['duplicate', 'retry', 'out_of_order', 'invalid'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The ways an injected invalid event is broken; each one is rejected by the intake. */
export const INVALID_KINDS = [
  'unknown_field',
  'missing_field',
  'bad_timestamp',
  'unknown_type',
  'malformed_json',
] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

/** The decision for one event: none, or one fault with its delivery delay (seconds) and, if invalid, how. */
export interface FaultDecision {
  readonly kind: FaultKind | null;
  readonly delay: number;
  readonly invalid: InvalidKind;
}

const NO_FAULT: FaultDecision = { kind: null, delay: 0, invalid: 'unknown_field' };

/**
 * Draws the fault of one event. Always draws exactly four numbers when `share > 0` (and none otherwise), so that
 * a caller can replay the same decision without replaying anything else.
 */
export function drawFault(rng: Rng, share: number): FaultDecision {
  if (share <= 0) return NO_FAULT;
  const hit = rng() < share;
  const which = rng();
  const delayDraw = rng();
  const invalidDraw = rng();
  if (!hit) return NO_FAULT;
  const kind: FaultKind =
    which < 0.3 ? 'duplicate' : which < 0.55 ? 'retry' : which < 0.75 ? 'out_of_order' : 'invalid';
  const delay =
    kind === 'retry'
      ? 2 + Math.floor(delayDraw * 119) // a retry after a timeout: 2 s to 2 min
      : kind === 'invalid'
        ? Math.floor(delayDraw * 11)
        : 1 + Math.floor(delayDraw * 30);
  return { kind, delay, invalid: INVALID_KINDS[Math.floor(invalidDraw * INVALID_KINDS.length)]! };
}

const REQUIRED: { readonly [T in ClientEventType]: readonly string[] } = {
  client_webinar_registered: ['lead_id', 'webinar_id', 'webinar_type', 'registered_at', 'source'],
  client_webinar_entered: ['webinar_id', 'timestamp'],
  client_webinar_left: ['lead_id', 'webinar_id', 'webinar_type', 'session_id', 'left_at', 'leave_reason'],
  client_webinar_completed: ['lead_id', 'webinar_id', 'webinar_type', 'session_id', 'completed_at'],
  client_webinar_form_submitted: [
    'lead_id',
    'webinar_id',
    'webinar_type',
    'session_id',
    'submitted_at',
    'form_id',
    'form_payload',
  ],
};
const EXTRA_FIELDS = ['utm_campaign', 'browser', 'referrer', 'device', 'email'] as const;
const UNKNOWN_TYPES = [
  'client_webinar_paused',
  'client_webinar_chat_message',
  'webinar_entered',
  'client_webinar_viewed',
] as const;

/** A timestamp as a careless client writes it: no offset, a space, a local format or epoch milliseconds. */
function badTimestamp(rng: Rng, iso: string): string | number {
  const local = iso.slice(0, 19);
  switch (between(rng, 0, 3)) {
    case 0:
      return local.replace('T', ' ');
    case 1:
      return local;
    case 2:
      return `${local.slice(8, 10)}.${local.slice(5, 7)}.${local.slice(0, 4)} ${local.slice(11)}`;
    default:
      return Date.parse(iso);
  }
}

/** A broken copy of a well-formed event, as the intake must reject it (or, for malformed JSON, a raw line). */
export function corrupt(event: SimulatedEvent, kind: InvalidKind, rng: Rng): SimulatedLine {
  const type = event.type as ClientEventType;
  switch (kind) {
    case 'unknown_field':
      return { ...event, data: { ...event.data, [pick(rng, EXTRA_FIELDS)]: 'x-' + between(rng, 1, 999) } };
    case 'missing_field': {
      const data = { ...event.data };
      delete data[pick(rng, REQUIRED[type])];
      return { ...event, data };
    }
    case 'bad_timestamp': {
      const field = FACT_TIME_FIELD[type];
      return { ...event, data: { ...event.data, [field]: badTimestamp(rng, String(event.data[field])) } };
    }
    case 'unknown_type':
      return { ...event, type: pick(rng, UNKNOWN_TYPES) };
    case 'malformed_json': {
      // A line cut short in transit: a strict prefix of a JSON object is never JSON.
      const text = JSON.stringify(event);
      return text.slice(0, Math.floor(text.length * (0.3 + 0.5 * rng())));
    }
  }
}
