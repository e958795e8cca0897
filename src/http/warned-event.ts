import type { FeedEvent } from '../store/port.js';

/**
 * A stored event as the timeline and the live stream return it: the CloudEvent plus, under `warnings`, the
 * service's warnings when it has any. `warnings` is a reserved extension name; an event stored before it was
 * reserved may still carry a client `warnings` of any shape, which these reads leave out (`GET /v1/events` keeps
 * it verbatim) rather than pass off as the service's or fail on.
 */
export function warnedEvent(feed: FeedEvent): Record<string, unknown> {
  if (feed.warnings !== null) return { ...feed.event, warnings: feed.warnings };
  if (!Object.prototype.hasOwnProperty.call(feed.event, 'warnings')) return feed.event;
  const { warnings: _client, ...event } = feed.event;
  return event;
}
