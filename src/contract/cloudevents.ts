/** The CloudEvents 1.0 context attributes a structured event may carry (SPEC §2); anything else is an extension. */
export const CONTEXT_ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'data',
  'time',
  'datacontenttype',
  'dataschema',
  'subject',
] as const;

/**
 * Extensions the service adds to what it returns; a client may not send them. SPEC §2 names the first three;
 * `warnings` is reserved for the same reason (the timeline and the live stream add the service's warnings to the
 * event under that name), so a client's own `warnings` can neither be overwritten nor break those reads.
 */
export const RESERVED_EXTENSIONS = ['position', 'causationid', 'recordedat', 'warnings'] as const;

/** Sources of the service's own events; a client may not use them. */
export const SERVICE_SOURCE_PREFIX = 'webinar-events/';
