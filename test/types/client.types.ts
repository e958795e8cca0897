/**
 * Type-level tests of `webinar-events/client`: compiled by `tsc -p tsconfig.json` (part of `npm test`), never
 * run. Every `@ts-expect-error` must meet an error on the next line, or the build fails; the valid uses must
 * compile. Each invalid case changes one thing in a valid payload.
 */
import {
  createClient,
  type AnonymousSession,
  type AutoRegisteredPayload,
  type CompletedPayload,
  type EnteredPayload,
  type FormSubmittedPayload,
  type LeftPayload,
  type LiveRegisteredPayload,
  type RegisteredPayload,
  type Session,
  type WebinarEventsClient,
} from '../../src/client/index.js';

// ---- helpers: assignability checks over every required field ----

type Assert<T extends true> = T;
type IsAssignable<A, B> = [A] extends [B] ? true : false;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** true when dropping any one required field of T makes it not assignable to T. */
type EveryFieldRequired<T> = {
  [K in RequiredKeys<T>]: IsAssignable<Omit<T, K>, T> extends true ? false : true;
}[RequiredKeys<T>];

export type TypeChecks = [
  Assert<EveryFieldRequired<LiveRegisteredPayload>>,
  Assert<EveryFieldRequired<AutoRegisteredPayload>>,
  Assert<EveryFieldRequired<EnteredPayload>>,
  Assert<EveryFieldRequired<LeftPayload>>,
  Assert<EveryFieldRequired<CompletedPayload>>,
  Assert<EveryFieldRequired<FormSubmittedPayload>>,
  // the required fields are exactly the contract's
  Assert<
    IsAssignable<
      RequiredKeys<LiveRegisteredPayload>,
      'lead_id' | 'webinar_id' | 'webinar_type' | 'registered_at' | 'source'
    >
  >,
  Assert<IsAssignable<RequiredKeys<EnteredPayload>, 'webinar_id' | 'timestamp'>>,
  Assert<
    IsAssignable<
      'lead_id' | 'webinar_id' | 'webinar_type' | 'session_id' | 'left_at' | 'leave_reason',
      RequiredKeys<LeftPayload>
    >
  >,
  Assert<
    IsAssignable<
      'form_id' | 'form_payload' | 'submitted_at' | 'session_id',
      RequiredKeys<FormSubmittedPayload>
    >
  >,
  // slot_id: only with live
  Assert<
    IsAssignable<{ slot_id: string; webinar_type: 'auto' }, Partial<AutoRegisteredPayload>> extends true
      ? false
      : true
  >,
  Assert<IsAssignable<{ slot_id: string; webinar_type: 'live' }, Partial<LiveRegisteredPayload>>>,
  // emits return the event id
  Assert<IsAssignable<ReturnType<WebinarEventsClient['left']>, string>>,
];

// ---- fixtures ----

const at = '2026-11-26T10:00:00Z';
const live = {
  lead_id: 'L-1',
  webinar_id: 'W-1',
  webinar_type: 'live',
  slot_id: 'S-1',
  registered_at: at,
  source: 'landing',
} as const;
const auto = {
  lead_id: 'L-1',
  webinar_id: 'W-2',
  webinar_type: 'auto',
  registered_at: at,
  source: 'mail',
} as const;
const entered = { lead_id: 'L-1', webinar_id: 'W-1', timestamp: at };
const session = { lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live', session_id: 'S-1' } as const;
const left = { ...session, left_at: at, leave_reason: 'user_exit' };
const completed = { ...session, completed_at: at };
const form = { ...session, submitted_at: at, form_id: 'F-1', form_payload: { rating: 5 } };

export function validUses(client: WebinarEventsClient): void {
  const ids: string[] = [
    client.registered(live),
    client.registered({ ...live, slot_id: undefined }),
    client.registered(auto),
    client.registered({
      lead_id: 'L-2',
      webinar_id: 'W-1',
      webinar_type: 'live',
      registered_at: at,
      source: 'landing',
    }),
    client.entered(entered),
    client.entered({ webinar_id: 'W-1', timestamp: at }, { sessionid: 's-1' }),
    client.left(left),
    client.left({ ...left, leave_reason: 'custom_reason' }),
    client.completed(completed, { id: 'my-id', time: at }),
    client.formSubmitted(form),
    client.formSubmitted({ ...form, form_payload: { nested: { deep: [1, 'two', null] } } }),
  ];
  void ids;

  // a payload held in a variable of the union type
  const registration: RegisteredPayload = Math.random() > 0.5 ? live : auto;
  client.registered(registration);

  // sessions
  const s: Session = client.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live' });
  s.entered();
  s.entered({ timestamp: at });
  s.left({ leave_reason: 'network_loss' });
  s.left({ leave_reason: 'session_end', left_at: at }, { id: 'x' });
  s.completed();
  s.completed({ completed_at: at });
  s.formSubmitted({ form_id: 'F-1', form_payload: {} });
  s.formSubmitted({ form_id: 'F-1', form_payload: { a: 1 }, submitted_at: at });
  const left_: boolean = s.state.left && s.state.entered && s.state.completed;
  void left_;
  const sessionId: string = s.id;
  void sessionId;

  const anonymous: AnonymousSession = client.session({ webinar_id: 'W-1', webinar_type: 'auto' });
  anonymous.entered();
  anonymous.identify('L-9').completed();

  const maybeLead: string | undefined = undefined;
  const unknownLead: AnonymousSession = client.session({
    lead_id: maybeLead,
    webinar_id: 'W-1',
    webinar_type: 'live',
  });
  void unknownLead;
  client.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live', session_id: 'resumed' });

  void client.flush();
  void client.close({ timeoutMs: 1000 }).then((r) => r.undelivered.length);
  const pending: number = client.pending;
  void pending;

  createClient({ endpoint: '/webinar-events', source: '/webinar-room' });
  createClient({
    endpoint: 'https://events.example.com',
    source: '/backend',
    token: () => Promise.resolve('t'),
    batchSize: 50,
    flushIntervalMs: 500,
    maxBuffer: 1000,
    overflow: 'throw',
    retry: { maxAttempts: 5, baseMs: 100, maxMs: 5000 },
    onOverflow: ({ policy, dropped }) => void [policy, dropped.length],
    onRejected: ({ id, errors }) => void [id, errors[0]?.code],
    onDelivered: (deliveries) => void deliveries.map((d) => d.status),
    onError: (error) => void [error.status, error.willRetry, error.events.length],
  });
}

// ---- contract violations: each line below must not compile ----

export function missingFields(client: WebinarEventsClient): void {
  const { lead_id: _l, ...liveNoLead } = live;
  const { registered_at: _r, ...autoNoTime } = auto;
  const { source: _s, ...liveNoSource } = live;
  const { webinar_id: _w, ...enteredNoWebinar } = entered;
  const { timestamp: _t, ...enteredNoTimestamp } = entered;
  const { session_id: _i, ...leftNoSession } = left;
  const { leave_reason: _why, ...leftNoReason } = left;
  const { webinar_type: _wt, ...completedNoType } = completed;
  const { completed_at: _c, ...completedNoTime } = completed;
  const { form_payload: _p, ...formNoPayload } = form;
  const { form_id: _f, ...formNoId } = form;

  // @ts-expect-error: lead_id is required
  client.registered(liveNoLead);
  // @ts-expect-error: registered_at is required
  client.registered(autoNoTime);
  // @ts-expect-error: source (the registration channel) is required
  client.registered(liveNoSource);
  // @ts-expect-error: webinar_id is required
  client.entered(enteredNoWebinar);
  // @ts-expect-error: timestamp is required
  client.entered(enteredNoTimestamp);
  // @ts-expect-error: session_id is required
  client.left(leftNoSession);
  // @ts-expect-error: leave_reason is required
  client.left(leftNoReason);
  // @ts-expect-error: webinar_type is required
  client.completed(completedNoType);
  // @ts-expect-error: completed_at is required
  client.completed(completedNoTime);
  // @ts-expect-error: form_payload is required
  client.formSubmitted(formNoPayload);
  // @ts-expect-error: form_id is required
  client.formSubmitted(formNoId);
  // @ts-expect-error: a payload is required
  client.completed();
}

export function unknownFields(client: WebinarEventsClient): void {
  // @ts-expect-error: not a field of client_webinar_registered
  client.registered({ ...live, campaign: 'x' });
  // @ts-expect-error: not a field of client_webinar_registered (auto)
  client.registered({ ...auto, campaign: 'x' });
  // @ts-expect-error: session_id is not a field of client_webinar_entered (sessionid is an option)
  client.entered({ ...entered, session_id: 's-1' });
  // @ts-expect-error: sessionid is an envelope attribute, not a payload field
  client.entered({ ...entered, sessionid: 's-1' });
  // @ts-expect-error: webinar_type is not a field of client_webinar_entered
  client.entered({ ...entered, webinar_type: 'live' });
  // @ts-expect-error: not a field of client_webinar_left
  client.left({ ...left, duration: 10 });
  // @ts-expect-error: not a field of client_webinar_completed
  client.completed({ ...completed, attended: true });
  // @ts-expect-error: not a field of client_webinar_form_submitted
  client.formSubmitted({ ...form, answers: {} });

  // also when the payload is a variable, not a fresh literal
  const leftWithExtra = { ...left, duration: 10 };
  // @ts-expect-error: unknown field in a variable
  client.left(leftWithExtra);
  const registrationWithExtra = { ...auto, utm: 'x' };
  // @ts-expect-error: unknown field in a variable
  client.registered(registrationWithExtra);
}

export function slotIdWithAuto(client: WebinarEventsClient): void {
  // @ts-expect-error: slot_id is allowed only with webinar_type "live"
  client.registered({ ...auto, slot_id: 'S-1' });
  const autoWithSlot = { ...auto, slot_id: 'S-1' };
  // @ts-expect-error: slot_id with auto, through a variable
  client.registered(autoWithSlot);
  const widened: { webinar_type: 'live' | 'auto'; slot_id: string } = { webinar_type: 'auto', slot_id: 'S' };
  // @ts-expect-error: a webinar_type that may be auto cannot carry slot_id
  client.registered({ ...live, ...widened });
}

export function wrongTypes(client: WebinarEventsClient): void {
  // @ts-expect-error: lead_id must be a string
  client.registered({ ...live, lead_id: 42 });
  // @ts-expect-error: webinar_type must be live or auto
  client.registered({ ...auto, webinar_type: 'hybrid' });
  // @ts-expect-error: slot_id must be a string
  client.registered({ ...live, slot_id: 7 });
  // @ts-expect-error: registered_at must be an RFC 3339 string, not a Date
  client.registered({ ...live, registered_at: new Date() });
  // @ts-expect-error: lead_id must be a string when present
  client.entered({ ...entered, lead_id: null });
  // @ts-expect-error: timestamp must be a string
  client.entered({ ...entered, timestamp: Date.now() });
  // @ts-expect-error: webinar_type must be live or auto
  client.left({ ...left, webinar_type: 'recorded' });
  // @ts-expect-error: leave_reason must be a string
  client.left({ ...left, leave_reason: 1 });
  // @ts-expect-error: session_id must be a string
  client.completed({ ...completed, session_id: 1 });
  // @ts-expect-error: form_payload must be an object
  client.formSubmitted({ ...form, form_payload: 'rating=5' });
  // @ts-expect-error: form_id must be a string
  client.formSubmitted({ ...form, form_id: ['F-1'] });
  // @ts-expect-error: sessionid must be a string
  client.entered(entered, { sessionid: 1 });
  // @ts-expect-error: sessionid is an option of entered only
  client.left(left, { sessionid: 's-1' });
  // @ts-expect-error: the payload must be an object
  client.left('left');
}

export function serviceEvents(client: WebinarEventsClient): void {
  // @ts-expect-error: only the service emits client_webinar_attendance_classified
  client.attendanceClassified({ lead_id: 'L-1', webinar_id: 'W-1', attended: true, timestamp: at });
  // @ts-expect-error: only the service emits post_webinar_route
  client.postWebinarRoute({ status: 'attended' });
  // @ts-expect-error: no generic emit by type name
  client.emit('client_webinar_left', left);
}

export function sessionMisuse(client: WebinarEventsClient, s: Session, anonymous: AnonymousSession): void {
  // @ts-expect-error: a session needs webinar_type
  client.session({ lead_id: 'L-1', webinar_id: 'W-1' });
  // @ts-expect-error: webinar_type must be live or auto
  client.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'hybrid' });
  // @ts-expect-error: left without a lead is impossible (the contract requires lead_id)
  anonymous.left({ leave_reason: 'user_exit' });
  // @ts-expect-error: completed without a lead
  anonymous.completed();
  // @ts-expect-error: formSubmitted without a lead
  anonymous.formSubmitted({ form_id: 'F-1', form_payload: {} });
  // @ts-expect-error: leave_reason is required
  s.left({});
  // @ts-expect-error: leave_reason is required
  s.left();
  // @ts-expect-error: form_payload is required
  s.formSubmitted({ form_id: 'F-1' });
  // @ts-expect-error: the session fills lead_id
  s.left({ leave_reason: 'user_exit', lead_id: 'L-2' });
  // @ts-expect-error: the session fills session_id
  s.completed({ session_id: 'other' });
  // @ts-expect-error: not a field of client_webinar_entered
  s.entered({ timestamp: at, webinar_type: 'live' });
  // @ts-expect-error: left_at must be a string
  s.left({ leave_reason: 'user_exit', left_at: new Date() });
  // @ts-expect-error: timestamp must be a string
  s.entered({ timestamp: 0 });
  // @ts-expect-error: the session state is read-only
  s.state.left = false;
  // @ts-expect-error: the session id is read-only
  s.id = 'other';
}

export function badOptions(): void {
  // @ts-expect-error: endpoint is required
  createClient({ source: '/webinar-room' });
  // @ts-expect-error: source is required
  createClient({ endpoint: '/webinar-events' });
  // @ts-expect-error: not an overflow policy
  createClient({ endpoint: '/e', source: '/s', overflow: 'block' });
  // @ts-expect-error: the token is a string or a function returning one
  createClient({ endpoint: '/e', source: '/s', token: 42 });
  // @ts-expect-error: unknown option
  createClient({ endpoint: '/e', source: '/s', batch: 10 });
}
