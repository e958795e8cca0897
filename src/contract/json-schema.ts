import {
  CLIENT_EVENT_TYPES,
  EVENT_DESCRIPTIONS,
  EVENT_TYPES,
  PAYLOAD_SCHEMAS,
  SERVICE_EVENT_TYPES,
  type EventType,
} from './events.js';
import { CONTEXT_ATTRIBUTES, RESERVED_EXTENSIONS, SERVICE_SOURCE_PREFIX } from './cloudevents.js';
import { TEXT_PATTERN } from './fields.js';

export const SCHEMA_BASE = 'https://webinar-events.dev/schema';
export const CONTRACT_VERSION = '1.0.0';

/** A TypeBox schema as plain JSON: the Symbol-keyed TypeBox metadata is dropped. */
function plain(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

const text = (maxLength: number, description: string): Record<string, unknown> => ({
  type: 'string',
  minLength: 1,
  maxLength,
  pattern: TEXT_PATTERN,
  description,
});

/** The JSON Schema (2020-12) of one event as a structured-mode CloudEvent, `data` being its contract payload. */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const description = EVENT_DESCRIPTIONS[type];
  const service = (SERVICE_EVENT_TYPES as readonly string[]).includes(type);
  const properties: Record<string, unknown> = {
    specversion: { const: '1.0' },
    id: text(128, 'Identifier of the event; unique per source. Retries reuse it.'),
    source: service
      ? {
          type: 'string',
          pattern: `^${SERVICE_SOURCE_PREFIX}`,
          description: 'The service component that emitted it.',
        }
      : {
          ...text(
            256,
            'The emitting component (URI-reference). Sources starting with `webinar-events/` are reserved.',
          ),
          not: { pattern: `^${SERVICE_SOURCE_PREFIX}` },
        },
    type: { const: type },
    time: { type: 'string', format: 'date-time' },
    datacontenttype: { const: 'application/json' },
    dataschema: { type: 'string', format: 'uri', maxLength: 2048 },
    subject: text(256, 'Optional subject.'),
    data: plain(PAYLOAD_SCHEMAS[type]),
  };
  if (type === 'client_webinar_entered') {
    properties['sessionid'] = text(256, 'The participation session of this entry (CloudEvents extension).');
  }
  if (service) {
    properties['causationid'] = {
      type: 'string',
      description: 'Id of the event (or evaluation) it came from.',
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${SCHEMA_BASE}/${type}.schema.json`,
    title: description.title,
    description: `${description.meaning} Emitted by: ${description.emittedBy}. Rule: ${description.emissionRule}`,
    type: 'object',
    required: ['specversion', 'id', 'source', 'type', 'data'],
    properties,
    propertyNames: {
      anyOf: [{ enum: [...CONTEXT_ATTRIBUTES, ...Object.keys(properties)] }, { pattern: '^[a-z0-9]{1,20}$' }],
      // Only clients are barred from the reserved extensions; an empty `enum` would not compile in Ajv.
      ...(service ? {} : { not: { enum: [...RESERVED_EXTENSIONS] } }),
    },
    additionalProperties: {
      description: 'CloudEvents extension attributes, kept and returned verbatim.',
      type: ['string', 'boolean', 'integer'],
    },
  };
}

/** One document holding every event: what `GET /v1/schema` and `webinar-events schema` return. */
export function contractJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const type of EVENT_TYPES) defs[type] = eventJsonSchema(type);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${SCHEMA_BASE}/webinar-events.schema.json`,
    title: 'Canonical client webinar events',
    description:
      'The six canonical client webinar events and post_webinar_route, as CloudEvents 1.0 (structured JSON). ' +
      `Clients send only: ${CLIENT_EVENT_TYPES.join(', ')}.`,
    'x-contract-version': CONTRACT_VERSION,
    oneOf: EVENT_TYPES.map((type) => ({ $ref: `#/$defs/${type}` })),
    $defs: defs,
  };
}
