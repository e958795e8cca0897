import type { WebinarType } from '../contract/index.js';
import { contentHash } from './content-hash.js';
import type { AnyClientEvent } from './envelope.js';

/** What is known of a participation session: whose and which webinar's it is, and which facts it has. */
export interface SessionBinding {
  readonly webinar_id: string;
  /** null while only an anonymous entry is known. */
  readonly lead_id: string | null;
  readonly entered: boolean;
  readonly left: boolean;
  readonly completed: boolean;
}

/**
 * What a resubmission of a stored `source`+`id` is compared with (SPEC §3, "the same event"). The content hash is
 * worked out only when an id comes again (rare), never for every accepted event: from the hash a row written by an
 * earlier version kept, else from the stored envelope's text, else from the event accepted earlier in the same
 * batch or dry run.
 */
export type StoredContent =
  { readonly hash: string } | { readonly envelope: string } | { readonly event: AnyClientEvent };

export type StoredEventRef = StoredContent & {
  /** The position in the log; null until the store assigns one. */
  readonly position: number | null;
};

/** The part of the intake state the emission rules read. Stores answer it from tables, `validate` from memory. */
export interface IntakeView {
  storedEvent(source: string, id: string): StoredEventRef | undefined;
  isRegistered(leadId: string, webinarId: string): boolean;
  webinarType(webinarId: string): WebinarType | undefined;
  session(sessionId: string): SessionBinding | undefined;
  formSubmitted(leadId: string, webinarId: string, formId: string): boolean;
  hasEntry(leadId: string, webinarId: string): boolean;
}

/** What an accepted event adds to the intake state besides itself (its source+id); a store persists exactly this. */
export interface IntakeFacts {
  readonly registration?: { readonly lead_id: string; readonly webinar_id: string };
  readonly webinarType?: { readonly webinar_id: string; readonly webinar_type: WebinarType };
  readonly session?: { readonly session_id: string; readonly binding: SessionBinding };
  readonly entry?: { readonly lead_id: string; readonly webinar_id: string };
  readonly form?: { readonly lead_id: string; readonly webinar_id: string; readonly form_id: string };
}

// Contract strings never contain control characters, so NUL separates key parts unambiguously.
export const key2 = (a: string, b: string): string => `${a}\u0000${b}`;
export const key3 = (a: string, b: string, c: string): string => `${a}\u0000${b}\u0000${c}`;

/** The intake state as a plain in-memory value: the whole state for `validate`, a prefetched slice for stores. */
export class MemoryIntakeState implements IntakeView {
  /**
   * `hashed`: keep an accepted event's content hash rather than the event, for a state that lives as long as its
   * input (a dry run over a file of any size); a store's state lives for one batch and keeps the events.
   */
  constructor(private readonly hashed = false) {}

  readonly events = new Map<string, StoredEventRef>();
  readonly registrations = new Set<string>();
  readonly webinarTypes = new Map<string, WebinarType>();
  readonly sessions = new Map<string, SessionBinding>();
  readonly forms = new Set<string>();
  readonly entries = new Set<string>();

  storedEvent(source: string, id: string): StoredEventRef | undefined {
    return this.events.get(key2(source, id));
  }
  isRegistered(leadId: string, webinarId: string): boolean {
    return this.registrations.has(key2(leadId, webinarId));
  }
  webinarType(webinarId: string): WebinarType | undefined {
    return this.webinarTypes.get(webinarId);
  }
  session(sessionId: string): SessionBinding | undefined {
    return this.sessions.get(sessionId);
  }
  formSubmitted(leadId: string, webinarId: string, formId: string): boolean {
    return this.forms.has(key3(leadId, webinarId, formId));
  }
  hasEntry(leadId: string, webinarId: string): boolean {
    return this.entries.has(key2(leadId, webinarId));
  }

  /** Records an accepted event and its facts; `position` is the store's, or null in a dry run. */
  apply(event: AnyClientEvent, facts: IntakeFacts, position: number | null): void {
    const key = key2(event.source, event.id);
    this.events.set(key, this.hashed ? { hash: contentHash(event), position } : { event, position });
    if (facts.registration)
      this.registrations.add(key2(facts.registration.lead_id, facts.registration.webinar_id));
    if (facts.webinarType)
      this.webinarTypes.set(facts.webinarType.webinar_id, facts.webinarType.webinar_type);
    if (facts.session) this.sessions.set(facts.session.session_id, facts.session.binding);
    if (facts.entry) this.entries.add(key2(facts.entry.lead_id, facts.entry.webinar_id));
    if (facts.form) this.forms.add(key3(facts.form.lead_id, facts.form.webinar_id, facts.form.form_id));
  }
}
