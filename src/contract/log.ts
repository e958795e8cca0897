import type { EventType } from './events.js';

export const CLASSIFIER_SOURCE = 'webinar-events/attendance-classifier';
export const ROUTER_SOURCE = 'webinar-events/post-webinar-routing';

/** An event as the log holds it: what processors read. */
export interface LogEvent {
  readonly position: number;
  readonly source: string;
  readonly id: string;
  readonly type: EventType;
  readonly data: Record<string, unknown>;
  readonly sessionid?: string | undefined;
}

/** An event the service derives (classification or route), as it is appended to the log. */
export interface DerivedEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: EventType;
  readonly time: string;
  readonly causationid: string;
  readonly data: Record<string, unknown>;
}
