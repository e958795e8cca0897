/** The media types that carry structured CloudEvents, one or a batch (SPEC §2); binary mode is not supported. */
export const EVENT_MEDIA_TYPES: readonly string[] = [
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
];
