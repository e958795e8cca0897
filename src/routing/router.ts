import { ROUTE, ROUTER_SOURCE, type DerivedEvent, type LogEvent } from '../contract/index.js';
import { uuidv5 } from '../contract/derived-ids.js';

/** One route per classification: its id is a function of the classification's id alone. */
export function routeId(classificationId: string): string {
  return uuidv5(JSON.stringify([ROUTE, classificationId]));
}

/**
 * post-webinar-routing (SPEC §5): a classification becomes `post_webinar_route` with status `attended` or
 * `not_attended` and the same payload. Pure.
 */
export function routeClassification(classification: LogEvent): DerivedEvent {
  const data = classification.data as {
    lead_id: string;
    webinar_id: string;
    attended: boolean;
    timestamp: string;
  };
  return {
    specversion: '1.0',
    id: routeId(classification.id),
    source: ROUTER_SOURCE,
    type: ROUTE,
    time: data.timestamp,
    causationid: classification.id,
    data: {
      status: data.attended ? 'attended' : 'not_attended',
      lead_id: data.lead_id,
      webinar_id: data.webinar_id,
      attended: data.attended,
      timestamp: data.timestamp,
    },
  };
}
