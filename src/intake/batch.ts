import type { Issue, Warning } from '../contract/index.js';
import type { AnyClientEvent, Judgement } from './envelope.js';
import type { FormsCatalog } from './forms-catalog.js';
import { decideIntake } from './rules.js';
import type { IntakeFacts, MemoryIntakeState } from './state.js';
import type { Verdict } from './verdict.js';

/** One submitted input, judged by the envelope and contract, with its raw form kept for the quarantine. */
export interface JudgedInput {
  readonly raw: string;
  readonly rawEncoding: 'utf8' | 'base64';
  readonly judgement: Judgement;
  /**
   * The input's own JSON text, when it was read as one (an NDJSON line, a single-event body) and is short enough
   * (STORED_TEXT_MAX_CHARS): an accepted event is stored as this text instead of being serialized again. Absent for
   * a batch element.
   */
  readonly text?: string;
}

export interface PlannedAppend {
  readonly position: number;
  readonly event: AnyClientEvent;
  readonly facts: IntakeFacts;
  readonly warnings: Warning[];
  /** The event's JSON text as submitted, when the input had one of its own (JudgedInput.text). */
  readonly text?: string | undefined;
}

export interface PlannedRejection {
  readonly id: string | null;
  readonly raw: string;
  readonly rawEncoding: 'utf8' | 'base64';
  readonly errors: Issue[];
}

export interface IntakePlan {
  readonly verdicts: Verdict[];
  readonly appends: PlannedAppend[];
  readonly rejections: PlannedRejection[];
}

/** The state keys a batch's rules read: what a store loads before deciding. */
export interface IntakeKeys {
  readonly events: Array<[string, string]>;
  readonly leadWebinars: Array<[string, string]>;
  readonly webinars: string[];
  readonly sessions: string[];
  readonly forms: Array<[string, string, string]>;
}

export function intakeKeys(inputs: readonly JudgedInput[]): IntakeKeys {
  const keys: IntakeKeys = { events: [], leadWebinars: [], webinars: [], sessions: [], forms: [] };
  for (const input of inputs) {
    if (!input.judgement.ok) continue;
    const { event } = input.judgement;
    const data = event.data as {
      lead_id?: string;
      webinar_id: string;
      session_id?: string;
      form_id?: string;
    };
    keys.events.push([event.source, event.id]);
    keys.webinars.push(data.webinar_id);
    if (data.lead_id !== undefined) keys.leadWebinars.push([data.lead_id, data.webinar_id]);
    const session = data.session_id ?? event.sessionid;
    if (session !== undefined) keys.sessions.push(session);
    if (data.form_id !== undefined && data.lead_id !== undefined) {
      keys.forms.push([data.lead_id, data.webinar_id, data.form_id]);
    }
  }
  return keys;
}

/**
 * Decides a batch in order against `state` (the stored state for the batch's keys): one verdict per input,
 * positions from `firstPosition` for the accepted ones, and the rejections to quarantine. Later inputs see the
 * earlier ones of the same batch. Pure but for updating `state`.
 */
export function planIntake(
  state: MemoryIntakeState,
  inputs: readonly JudgedInput[],
  forms: FormsCatalog,
  firstPosition: number,
): IntakePlan {
  const verdicts: Verdict[] = [];
  const appends: PlannedAppend[] = [];
  const rejections: PlannedRejection[] = [];
  let position = firstPosition;
  for (const input of inputs) {
    const { judgement } = input;
    if (!judgement.ok) {
      verdicts.push({ status: 'rejected', id: judgement.id, errors: judgement.errors });
      rejections.push({
        id: judgement.id,
        raw: input.raw,
        rawEncoding: input.rawEncoding,
        errors: judgement.errors,
      });
      continue;
    }
    const { event } = judgement;
    const decision = decideIntake(state, event, forms);
    if (decision.verdict === 'rejected') {
      verdicts.push({ status: 'rejected', id: event.id, errors: decision.errors });
      rejections.push({
        id: event.id,
        raw: input.raw,
        rawEncoding: input.rawEncoding,
        errors: decision.errors,
      });
    } else if (decision.verdict === 'duplicate') {
      verdicts.push({ status: 'duplicate', id: event.id, position: decision.position });
    } else {
      state.apply(event, decision.facts, position);
      appends.push({ position, event, facts: decision.facts, warnings: decision.warnings, text: input.text });
      verdicts.push({ status: 'accepted', id: event.id, position, warnings: decision.warnings });
      position++;
    }
  }
  return { verdicts, appends, rejections };
}
