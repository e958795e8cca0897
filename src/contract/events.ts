import { Type, type Static, type TObject } from '@sinclair/typebox';
import {
  Instant,
  JsonObject,
  LEAVE_REASON_PATTERN,
  Text,
  leadId,
  sessionId,
  webinarId,
  webinarType,
} from './fields.js';

/**
 * The canonical client webinar events (contract/client-webinar-events.ru.md), defined once.
 * Types, compiled validators, JSON Schema and AsyncAPI are all derived from these objects.
 */

export const ClientWebinarRegistered = Type.Object(
  {
    lead_id: leadId(),
    webinar_id: webinarId(),
    webinar_type: webinarType(),
    slot_id: Type.Optional(Text('Identifier of the slot; only for `live` webinars, when applicable.')),
    registered_at: Instant('When the registration happened (a fact, not a schedule).'),
    source: Text('Where the registration came from: page, channel or context.'),
  },
  {
    additionalProperties: false,
    // slot_id is allowed only with webinar_type "live".
    if: { type: 'object', properties: { webinar_type: { const: 'auto' } }, required: ['webinar_type'] },
    then: { type: 'object', not: { type: 'object', required: ['slot_id'] } },
  },
);

export const ClientWebinarEntered = Type.Object(
  {
    lead_id: Type.Optional(leadId()),
    webinar_id: webinarId(),
    timestamp: Instant('When the client actually entered.'),
  },
  { additionalProperties: false },
);

export const ClientWebinarLeft = Type.Object(
  {
    lead_id: leadId(),
    webinar_id: webinarId(),
    webinar_type: webinarType(),
    session_id: sessionId(),
    left_at: Instant('When the client actually left.'),
    leave_reason: Type.String({
      pattern: LEAVE_REASON_PATTERN,
      description: 'Why the client left; documented values: `user_exit`, `session_end`, `network_loss`.',
      examples: ['user_exit', 'session_end', 'network_loss'],
    }),
  },
  { additionalProperties: false },
);

export const ClientWebinarCompleted = Type.Object(
  {
    lead_id: leadId(),
    webinar_id: webinarId(),
    webinar_type: webinarType(),
    session_id: sessionId(),
    completed_at: Instant('When the participation came to count as complete.'),
  },
  { additionalProperties: false },
);

export const ClientWebinarFormSubmitted = Type.Object(
  {
    lead_id: leadId(),
    webinar_id: webinarId(),
    webinar_type: webinarType(),
    session_id: sessionId(),
    submitted_at: Instant('When the form was submitted.'),
    form_id: Text('Identifier of the post-webinar form.'),
    form_payload: JsonObject(
      'Aggregated answers; the structure is set by the form. At most 16 KiB serialized.',
    ),
  },
  { additionalProperties: false },
);

export const ClientWebinarAttendanceClassified = Type.Object(
  {
    lead_id: leadId(),
    webinar_id: webinarId(),
    attended: Type.Boolean({ description: '`true` when the participation was completed.' }),
    timestamp: Instant('When the classification was made.'),
  },
  { additionalProperties: false },
);

export const PostWebinarRoute = Type.Object(
  {
    status: Type.Unsafe<'attended' | 'not_attended'>({
      type: 'string',
      enum: ['attended', 'not_attended'],
      description: 'The route of the lead after the webinar.',
    }),
    lead_id: leadId(),
    webinar_id: webinarId(),
    attended: Type.Boolean({ description: 'The classification this route follows.' }),
    timestamp: Instant('The timestamp of the classification this route follows.'),
  },
  { additionalProperties: false },
);

export type ClientWebinarRegistered = Static<typeof ClientWebinarRegistered>;
export type ClientWebinarEntered = Static<typeof ClientWebinarEntered>;
export type ClientWebinarLeft = Static<typeof ClientWebinarLeft>;
export type ClientWebinarCompleted = Static<typeof ClientWebinarCompleted>;
export type ClientWebinarFormSubmitted = Static<typeof ClientWebinarFormSubmitted>;
export type ClientWebinarAttendanceClassified = Static<typeof ClientWebinarAttendanceClassified>;
export type PostWebinarRoute = Static<typeof PostWebinarRoute>;

export const CLIENT_EVENT_TYPES = [
  'client_webinar_registered',
  'client_webinar_entered',
  'client_webinar_left',
  'client_webinar_completed',
  'client_webinar_form_submitted',
] as const;
export type ClientEventType = (typeof CLIENT_EVENT_TYPES)[number];

export const CLASSIFIED = 'client_webinar_attendance_classified';
export const ROUTE = 'post_webinar_route';
/** Only the service emits these; a client sending one gets RESERVED_EVENT. */
export const SERVICE_EVENT_TYPES = [CLASSIFIED, ROUTE] as const;
export type ServiceEventType = (typeof SERVICE_EVENT_TYPES)[number];
export type EventType = ClientEventType | ServiceEventType;
export const EVENT_TYPES: readonly EventType[] = [...CLIENT_EVENT_TYPES, ...SERVICE_EVENT_TYPES];

export interface Payloads {
  client_webinar_registered: ClientWebinarRegistered;
  client_webinar_entered: ClientWebinarEntered;
  client_webinar_left: ClientWebinarLeft;
  client_webinar_completed: ClientWebinarCompleted;
  client_webinar_form_submitted: ClientWebinarFormSubmitted;
  client_webinar_attendance_classified: ClientWebinarAttendanceClassified;
  post_webinar_route: PostWebinarRoute;
}

export const PAYLOAD_SCHEMAS: { readonly [T in EventType]: TObject } = {
  client_webinar_registered: ClientWebinarRegistered,
  client_webinar_entered: ClientWebinarEntered,
  client_webinar_left: ClientWebinarLeft,
  client_webinar_completed: ClientWebinarCompleted,
  client_webinar_form_submitted: ClientWebinarFormSubmitted,
  client_webinar_attendance_classified: ClientWebinarAttendanceClassified,
  post_webinar_route: PostWebinarRoute,
};

export interface EventDescription {
  readonly title: string;
  readonly emittedBy: string;
  readonly meaning: string;
  readonly emissionRule: string;
}

/** The contract's words for each event, rendered in English from the Russian source. */
export const EVENT_DESCRIPTIONS: { readonly [T in EventType]: EventDescription } = {
  client_webinar_registered: {
    title: 'Client registered for a webinar',
    emittedBy: 'client webinar layer, on successful registration',
    meaning: 'The client is registered for the webinar (live or auto).',
    emissionRule: 'A single registration fact per lead and webinar.',
  },
  client_webinar_entered: {
    title: 'Client entered the webinar',
    emittedBy: 'client webinar layer, on actual entry',
    meaning: 'The client entered the webinar experience (live or auto).',
    emissionRule:
      'Once per participation session. The `sessionid` CloudEvents extension names the session; `lead_id` only if available.',
  },
  client_webinar_left: {
    title: 'Client left the webinar',
    emittedBy: 'client webinar layer, on actual exit',
    meaning: 'The client left the webinar experience (live or auto).',
    emissionRule: 'Once per participation session.',
  },
  client_webinar_completed: {
    title: 'Client completed the webinar',
    emittedBy: 'client webinar layer, when the participation counts as complete',
    meaning:
      'The client completed participation in the webinar: the participation counts as complete by the fact of having gone through the webinar.',
    emissionRule:
      'Does not replace `client_webinar_left`; may follow it on a correct completion. The service accepts it once per participation session (SPEC §3, not the contract).',
  },
  client_webinar_form_submitted: {
    title: 'Client submitted the post-webinar form',
    emittedBy: 'client webinar layer, on successful form submission',
    meaning: 'The client submitted the post-webinar form.',
    emissionRule: 'May repeat only when the form allows re-submission (forms catalog).',
  },
  client_webinar_attendance_classified: {
    title: 'Attendance classified',
    emittedBy: 'the service attendance classifier (never a client)',
    meaning: 'The service classification of the attendance of a lead at a webinar.',
    emissionRule:
      'On the first completion (`attended=true`), or on an explicit evaluation for a lead with an entry and no completion (`attended=false`).',
  },
  post_webinar_route: {
    title: 'Post-webinar route',
    emittedBy: 'post-webinar-routing-service (part of this service, never a client)',
    meaning: 'Where the lead goes after the webinar: `attended` or `not_attended`.',
    emissionRule: 'Exactly one per attendance classification, with the same payload.',
  },
};

/** Fields of each client event that carry the time of the fact itself. */
export const FACT_TIME_FIELD: { readonly [T in EventType]: string } = {
  client_webinar_registered: 'registered_at',
  client_webinar_entered: 'timestamp',
  client_webinar_left: 'left_at',
  client_webinar_completed: 'completed_at',
  client_webinar_form_submitted: 'submitted_at',
  client_webinar_attendance_classified: 'timestamp',
  post_webinar_route: 'timestamp',
};
