import type { ClientEventType } from '../contract/events.js';
import { ContractViolation } from './errors.js';
import type {
  EmitOptions,
  Session,
  SessionCompletedInput,
  SessionEnteredInput,
  SessionFormSubmittedInput,
  SessionLeftInput,
  SessionOptions,
  SessionState,
} from './types.js';

/** What a session needs from its client. */
export interface SessionHost {
  emit(
    type: ClientEventType,
    data: Record<string, unknown>,
    options: EmitOptions | undefined,
    sessionid?: string,
    /** Called if a full buffer drops the event before it is sent (at once with 'drop-newest', later with 'drop-oldest'). */
    onDropped?: () => void,
  ): string;
  newId(): string;
}

type Mark = 'entered' | 'left' | 'completed';

/** Fields the session fills itself; passing them (past the types) is an error rather than silently ignored. */
const OWNED = ['lead_id', 'webinar_id', 'webinar_type', 'session_id'] as const;

function nowIso(): string {
  return new Date().toISOString();
}

/**
 * One participation session: a fresh session id, `entered` with it as `sessionid`, and `left` / `completed` /
 * `formSubmitted` with it as `session_id`. `entered`, `left` and `completed` are refused a second time with the
 * code the server would give (REPEATED_IN_SESSION). Timestamps default to now.
 */
export class ParticipationSession implements Session {
  readonly id: string;
  readonly webinar_id: string;
  readonly webinar_type: SessionOptions['webinar_type'];
  private lead: string | undefined;
  private readonly marks = new Set<Mark>();

  constructor(
    private readonly host: SessionHost,
    options: SessionOptions,
  ) {
    this.id = options.session_id ?? host.newId();
    this.webinar_id = options.webinar_id;
    this.webinar_type = options.webinar_type;
    this.lead = options.lead_id;
  }

  /** The lead, once known (`undefined` for an anonymous session). */
  get lead_id(): string {
    return this.lead as string;
  }

  get state(): SessionState {
    return {
      entered: this.marks.has('entered'),
      left: this.marks.has('left'),
      completed: this.marks.has('completed'),
    };
  }

  identify(lead_id: string): Session {
    if (this.lead !== undefined && this.lead !== lead_id) {
      throw new ContractViolation([
        {
          code: 'SESSION_MISMATCH',
          path: '/data/lead_id',
          message: `session "${this.id}" belongs to another lead`,
        },
      ]);
    }
    this.lead = lead_id;
    return this;
  }

  entered(input: SessionEnteredInput = {}, options?: EmitOptions): string {
    return this.once('entered', 'client_webinar_entered', '/sessionid', (onDropped) => {
      const data: Record<string, unknown> = { ...this.own(input), webinar_id: this.webinar_id };
      if (this.lead !== undefined) data['lead_id'] = this.lead;
      data['timestamp'] = input.timestamp ?? nowIso();
      return this.host.emit('client_webinar_entered', data, options, this.id, onDropped);
    });
  }

  left(input: SessionLeftInput, options?: EmitOptions): string {
    return this.once('left', 'client_webinar_left', '/data/session_id', (onDropped) =>
      this.host.emit(
        'client_webinar_left',
        this.data(input, 'left_at', input.left_at),
        options,
        undefined,
        onDropped,
      ),
    );
  }

  completed(input: SessionCompletedInput = {}, options?: EmitOptions): string {
    return this.once('completed', 'client_webinar_completed', '/data/session_id', (onDropped) =>
      this.host.emit(
        'client_webinar_completed',
        this.data(input, 'completed_at', input.completed_at),
        options,
        undefined,
        onDropped,
      ),
    );
  }

  formSubmitted(input: SessionFormSubmittedInput, options?: EmitOptions): string {
    return this.host.emit(
      'client_webinar_form_submitted',
      this.data(input, 'submitted_at', input.submitted_at),
      options,
    );
  }

  private data(input: object, timeField: string, time: string | undefined): Record<string, unknown> {
    return {
      ...this.own(input),
      lead_id: this.lead,
      webinar_id: this.webinar_id,
      webinar_type: this.webinar_type,
      session_id: this.id,
      [timeField]: time ?? nowIso(),
    };
  }

  /** The caller's fields, refusing those the session owns. */
  private own(input: object): Record<string, unknown> {
    const fields = input as Record<string, unknown>;
    const owned = OWNED.filter((name) => fields[name] !== undefined);
    if (owned.length > 0) {
      throw new ContractViolation(
        owned.map((name) => ({
          code: 'INVALID_FIELD' as const,
          path: `/data/${name}`,
          message: `${name} is set by the session; do not pass it`,
        })),
      );
    }
    return fields;
  }

  private once(
    mark: Mark,
    type: ClientEventType,
    path: string,
    emit: (onDropped: () => void) => string,
  ): string {
    if (this.marks.has(mark)) {
      throw new ContractViolation([
        {
          code: 'REPEATED_IN_SESSION',
          path,
          message: `session "${this.id}" already has a ${type}; it is emitted once per participation session`,
        },
      ]);
    }
    // Marked before the emit, so that a drop during it (a full buffer, 'drop-newest') can unmark it; a full buffer
    // that drops it later ('drop-oldest') unmarks it too: the session may emit it again. A refused emit unmarks.
    this.marks.add(mark);
    try {
      return emit(() => this.marks.delete(mark));
    } catch (error) {
      this.marks.delete(mark);
      throw error;
    }
  }
}
