import type { Issue, Warning, WebinarType } from '../contract/index.js';
import { contentHash, storedContentHash } from './content-hash.js';
import type { AnyClientEvent } from './envelope.js';
import type { FormsCatalog } from './forms-catalog.js';
import type { IntakeFacts, IntakeView, SessionBinding } from './state.js';

export type IntakeDecision =
  | { readonly verdict: 'accepted'; readonly warnings: Warning[]; readonly facts: IntakeFacts }
  | { readonly verdict: 'duplicate'; readonly position: number | null }
  | { readonly verdict: 'rejected'; readonly errors: Issue[] };

interface SessionFact {
  readonly sessionId: string;
  readonly path: string;
  readonly lead: string | null;
  readonly webinar: string;
  readonly mark: 'entered' | 'left' | 'completed' | null;
}

function sessionFactOf(event: AnyClientEvent): SessionFact | undefined {
  switch (event.type) {
    case 'client_webinar_entered':
      return event.sessionid === undefined
        ? undefined
        : {
            sessionId: event.sessionid,
            path: '/sessionid',
            lead: event.data.lead_id ?? null,
            webinar: event.data.webinar_id,
            mark: 'entered',
          };
    case 'client_webinar_left':
    case 'client_webinar_completed':
    case 'client_webinar_form_submitted':
      return {
        sessionId: event.data.session_id,
        path: '/data/session_id',
        lead: event.data.lead_id,
        webinar: event.data.webinar_id,
        mark:
          event.type === 'client_webinar_left'
            ? 'left'
            : event.type === 'client_webinar_completed'
              ? 'completed'
              : null,
      };
    default:
      return undefined;
  }
}

function webinarTypeOf(event: AnyClientEvent): WebinarType | undefined {
  return event.type === 'client_webinar_entered' ? undefined : event.data.webinar_type;
}

/**
 * The emission rules (SPEC §3) as a pure decision over the intake state: duplicate and id conflicts first,
 * then the rules, then the out-of-order warnings. Never throws for a judged event (a stored envelope that is not
 * JSON, met when working out a stored event's content hash, is a fault of the store and throws).
 */
export function decideIntake(state: IntakeView, event: AnyClientEvent, forms: FormsCatalog): IntakeDecision {
  const stored = state.storedEvent(event.source, event.id);
  if (stored !== undefined) {
    if (storedContentHash(stored) === contentHash(event))
      return { verdict: 'duplicate', position: stored.position };
    return {
      verdict: 'rejected',
      errors: [
        {
          code: 'ID_CONFLICT',
          path: '/id',
          message: `an event with source "${event.source}" and id "${event.id}" is already stored with different content`,
        },
      ],
    };
  }

  const errors: Issue[] = [];
  const warnings: Warning[] = [];
  const webinar = event.data.webinar_id;
  const lead = event.data.lead_id;

  let registration: IntakeFacts['registration'];
  if (event.type === 'client_webinar_registered') {
    if (state.isRegistered(event.data.lead_id, webinar)) {
      errors.push({
        code: 'ALREADY_REGISTERED',
        path: '/data/lead_id',
        message: `lead "${event.data.lead_id}" is already registered for webinar "${webinar}"`,
      });
    } else registration = { lead_id: event.data.lead_id, webinar_id: webinar };
  }

  let webinarType: IntakeFacts['webinarType'];
  const type = webinarTypeOf(event);
  if (type !== undefined) {
    const known = state.webinarType(webinar);
    if (known === undefined) webinarType = { webinar_id: webinar, webinar_type: type };
    else if (known !== type) {
      errors.push({
        code: 'WEBINAR_TYPE_MISMATCH',
        path: '/data/webinar_type',
        message: `webinar "${webinar}" is recorded as "${known}", not "${type}"`,
      });
    }
  }

  const fact = sessionFactOf(event);
  let session: IntakeFacts['session'];
  let sessionEntered = false;
  let attributedEntry = false;
  if (fact !== undefined) {
    const bound = state.session(fact.sessionId);
    if (
      bound !== undefined &&
      (bound.webinar_id !== fact.webinar ||
        (bound.lead_id !== null && fact.lead !== null && bound.lead_id !== fact.lead))
    ) {
      errors.push({
        code: 'SESSION_MISMATCH',
        path: fact.path,
        message:
          bound.webinar_id !== fact.webinar
            ? `session "${fact.sessionId}" belongs to webinar "${bound.webinar_id}"`
            : `session "${fact.sessionId}" belongs to another lead`,
      });
    } else if (bound !== undefined && fact.mark !== null && bound[fact.mark]) {
      errors.push({
        code: 'REPEATED_IN_SESSION',
        path: fact.path,
        message: `session "${fact.sessionId}" already has a ${event.type}; it is emitted once per participation session`,
      });
    } else {
      const binding: SessionBinding = {
        webinar_id: fact.webinar,
        lead_id: bound?.lead_id ?? fact.lead,
        entered: (bound?.entered ?? false) || fact.mark === 'entered',
        left: (bound?.left ?? false) || fact.mark === 'left',
        completed: (bound?.completed ?? false) || fact.mark === 'completed',
      };
      session = { session_id: fact.sessionId, binding };
      sessionEntered = bound?.entered ?? false;
      // An anonymous entry becomes the lead's once another event of its session names the lead.
      attributedEntry = binding.lead_id !== null && (fact.mark === 'entered' || sessionEntered);
    }
  }

  // Every first submission is recorded, also of a form the catalog lets repeat: if the catalog later stops
  // allowing it, the next submission is refused like any other second one.
  let form: IntakeFacts['form'];
  if (event.type === 'client_webinar_form_submitted') {
    const { lead_id, form_id } = event.data;
    if (!state.formSubmitted(lead_id, webinar, form_id)) form = { lead_id, webinar_id: webinar, form_id };
    else if (!forms.resubmittable.has(form_id)) {
      errors.push({
        code: 'FORM_ALREADY_SUBMITTED',
        path: '/data/form_id',
        message: `form "${form_id}" was already submitted by lead "${lead_id}" for webinar "${webinar}" and does not allow re-submission`,
      });
    }
  }

  if (errors.length > 0) return { verdict: 'rejected', errors };

  if (event.type === 'client_webinar_entered' && lead === undefined) {
    warnings.push({
      code: 'ANONYMOUS_ENTRY',
      path: '/data',
      message:
        event.sessionid === undefined
          ? 'entry without lead_id and without sessionid: it stays anonymous'
          : session?.binding.lead_id != null
            ? `entry without lead_id: attributed to lead "${session.binding.lead_id}", whom an earlier event of its session names`
            : 'entry without lead_id: it is attributed to a lead when another event of its session names one',
    });
  }
  if (
    lead !== undefined &&
    event.type !== 'client_webinar_registered' &&
    !state.isRegistered(lead, webinar)
  ) {
    warnings.push({
      code: 'NO_PRIOR_REGISTRATION',
      path: '/data/lead_id',
      message: `no registration of lead "${lead}" for webinar "${webinar}" has been stored yet`,
    });
  }
  if (
    (event.type === 'client_webinar_left' ||
      event.type === 'client_webinar_completed' ||
      event.type === 'client_webinar_form_submitted') &&
    !sessionEntered &&
    !state.hasEntry(event.data.lead_id, webinar)
  ) {
    warnings.push({
      code: 'NO_PRIOR_ENTRY',
      path: '/data/session_id',
      message: `no entry has been stored yet for session "${event.data.session_id}" or for lead "${event.data.lead_id}" at webinar "${webinar}"`,
    });
  }

  const entryLead = attributedEntry
    ? session!.binding.lead_id
    : event.type === 'client_webinar_entered'
      ? lead
      : undefined;
  const entry =
    entryLead !== undefined && entryLead !== null && !state.hasEntry(entryLead, webinar)
      ? { lead_id: entryLead, webinar_id: webinar }
      : undefined;

  const facts: IntakeFacts = {
    ...(registration && { registration }),
    ...(webinarType && { webinarType }),
    ...(session && { session }),
    ...(entry && { entry }),
    ...(form && { form }),
  };
  return { verdict: 'accepted', warnings, facts };
}
