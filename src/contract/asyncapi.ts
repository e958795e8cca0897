import { CLIENT_EVENT_TYPES, EVENT_DESCRIPTIONS, EVENT_TYPES } from './events.js';
import { CONTRACT_VERSION, eventJsonSchema } from './json-schema.js';

export const SUBJECT_PREFIX = 'webinar.events.';
export const STREAM_NAME = 'WEBINAR_EVENTS';

/** The AsyncAPI 3 document of the bus: one channel `webinar.events.<type>` per event. */
export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const type of EVENT_TYPES) {
    const description = EVENT_DESCRIPTIONS[type];
    const schema = { ...eventJsonSchema(type) };
    delete schema['$schema'];
    delete schema['$id'];
    messages[type] = {
      name: type,
      title: description.title,
      summary: description.meaning,
      description: `Emitted by: ${description.emittedBy}. Rule: ${description.emissionRule}`,
      contentType: 'application/cloudevents+json',
      payload: schema,
    };
    channels[type] = {
      address: `${SUBJECT_PREFIX}${type}`,
      title: description.title,
      messages: { [type]: { $ref: `#/components/messages/${type}` } },
    };
    operations[`receive_${type}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${type}` },
      summary: `Consume ${type} from JetStream stream ${STREAM_NAME}.`,
      messages: [{ $ref: `#/channels/${type}/messages/${type}` }],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'webinar-events',
      version: CONTRACT_VERSION,
      description:
        `Every stored event, client (${CLIENT_EVENT_TYPES.length} types) and derived (classification, route), is ` +
        `published to NATS JetStream stream ${STREAM_NAME} with Nats-Msg-Id = its unique key (source + id).`,
    },
    defaultContentType: 'application/cloudevents+json',
    servers: {
      nats: { host: '127.0.0.1:4222', protocol: 'nats', description: 'NATS JetStream (NATS_URL)' },
    },
    channels,
    operations,
    components: { messages },
  };
}
