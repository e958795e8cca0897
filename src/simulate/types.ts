/** One simulated CloudEvent 1.0 in structured mode, as written on one NDJSON line. */
export interface SimulatedEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  /** The participation session of a `client_webinar_entered` (absent on other events). */
  readonly sessionid?: string;
  readonly data: Record<string, unknown>;
}

/** What the simulator yields per line: an event, or (for a malformed-JSON fault) the raw text of the line. */
export type SimulatedLine = SimulatedEvent | string;
